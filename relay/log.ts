/**
 * JSON logs on stdout, one object a line (what Docker and log shippers
 * expect). Secrets are redacted by path as a second line of defence: the
 * code should never hand a token to the logger in the first place.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";
import { RELAY_SOFTWARE } from "./version.js";

export type { Logger } from "pino";

/** Paths whose values never reach the log, at the top level or one object down. */
export const REDACTED_PATHS: readonly string[] = [
  "token",
  "relayToken",
  "authorization",
  "Authorization",
  "password",
  "secret",
  "headers.authorization",
  "headers.Authorization",
  "*.token",
  "*.relayToken",
  "*.authorization",
  "*.Authorization",
  "*.password",
  "*.secret",
  "*.headers.authorization",
  "*.headers.Authorization",
];

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout when absent. Tests pass a collector. */
  destination?: DestinationStream;
}

/** Creates the relay's root logger. */
export function createLogger(options: LoggerOptions): Logger {
  // Synchronous stdout: logs are few (audio is never logged per frame), and
  // lines written just before process.exit must not be lost.
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level,
      base: { service: RELAY_SOFTWARE, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    },
    destination,
  );
}
