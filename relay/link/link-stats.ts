/** What the link client counts and reports on /health. */
import type { OutboxStats } from "./outbox.js";

/** Where the link client is in its life. */
export type LinkState = "idle" | "connecting" | "handshaking" | "up" | "waiting" | "stopped";

/** Monotonic counters since start. */
export interface LinkCounters {
  connectAttempts: number;
  messagesSent: number;
  bytesSent: number;
  messagesReceived: number;
  bytesReceived: number;
  pingsSent: number;
  /** Down frames delivered to a call. */
  framesReceived: number;
  /** Down frames for a slot with no live call (dropped). */
  unknownSlotFrames: number;
  /** Up frames from the cloud (dropped: the cloud never sends caller audio). */
  ignoredFrames: number;
  ignoredRecords: number;
  unknownCallMessages: number;
  unexpectedMessages: number;
  /** Malformed frames or messages that ended one call. */
  callErrors: number;
  /** Link-level protocol errors (the link was closed with 4400). */
  protocolErrors: number;
  handshakeTimeouts: number;
  /** Links declared half-open after silence. */
  deadLinks: number;
  callsStarted: number;
  callsEndedByRelay: number;
  callsEndedByCloud: number;
  callsRefused: number;
  handlerErrors: number;
  /** Times a flush found the socket buffer over the high-water mark. */
  backpressureWaits: number;
}

export function newLinkCounters(): LinkCounters {
  return {
    connectAttempts: 0,
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    pingsSent: 0,
    framesReceived: 0,
    unknownSlotFrames: 0,
    ignoredFrames: 0,
    ignoredRecords: 0,
    unknownCallMessages: 0,
    unexpectedMessages: 0,
    callErrors: 0,
    protocolErrors: 0,
    handshakeTimeouts: 0,
    deadLinks: 0,
    callsStarted: 0,
    callsEndedByRelay: 0,
    callsEndedByCloud: 0,
    callsRefused: 0,
    handlerErrors: 0,
    backpressureWaits: 0,
  };
}

/** The last thing that went wrong with the link. */
export interface LinkLastError {
  /** Stable code: a LINK_* code, a socket error code (ECONNREFUSED), or CLOSE_<n>. */
  code: string;
  at: string;
}

/** The link's state for /health. */
export interface LinkSnapshot {
  state: LinkState;
  up: boolean;
  relayId: string | null;
  /** ISO time of the current connection's welcome; null when not up. */
  connectedSince: string | null;
  /** Times the link came back after being up. */
  reconnects: number;
  lastError: LinkLastError | null;
  calls: number;
  queue: OutboxStats;
  counters: LinkCounters;
}
