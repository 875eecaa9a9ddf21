/** The relay-cloud link protocol: one import for both sides. */
export * from "./audio-frames.js";
export * from "./codec.js";
export * from "./control.js";
export * from "./errors.js";
export * from "./limits.js";
export * from "./records.js";
export * from "./version.js";
