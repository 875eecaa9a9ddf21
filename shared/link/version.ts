/** The link protocol version this code speaks, and the oldest it still accepts. */
export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

/**
 * Heartbeats are WebSocket text messages outside the record framing, so the
 * RelayHub can answer them with `setWebSocketAutoResponse` without waking
 * from hibernation. Records always travel as binary messages.
 */
export const HEARTBEAT_PING = "ping";
export const HEARTBEAT_PONG = "pong";

/** WebSocket close codes the link uses (4000-4999 are the application's). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 4400,
  Unauthorized: 4401,
  VersionUnsupported: 4426,
  Replaced: 4409,
  HandshakeTimeout: 4408,
  Internal: 4500,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close reasons with a meaning of their own: `revoked` (with 4401) means the relay's token was revoked, not mistyped. */
export const CloseReason = {
  Revoked: "revoked",
} as const;

/**
 * The version both sides will speak, or undefined when the ranges do not meet.
 */
export function negotiateVersion(peerMax: number, peerMin: number): number | undefined {
  const v = Math.min(peerMax, PROTOCOL_VERSION);
  return v >= Math.max(peerMin, MIN_PROTOCOL_VERSION) ? v : undefined;
}
