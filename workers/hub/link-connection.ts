/**
 * The relay's socket as the hub sees it: per-socket state kept in the
 * socket's attachment (it survives hibernation; the object's memory does
 * not), and the few ways the hub writes to it.
 */
import {
  CloseCode,
  CloseReason,
  Consequence,
  encodeLinkMessage,
  LinkErrorCode,
  negotiateVersion,
  type ControlInput,
  type ControlOf,
  type LinkLimits,
} from "../../shared/link/index.js";
import { log } from "../log.js";

/** How often the relay should ping (announced in welcome); it declares the link dead after 3 silent intervals. */
export const HEARTBEAT_INTERVAL_MS = 2000;

/** Tag of relay sockets in `ctx.getWebSockets`. */
export const RELAY_SOCKET_TAG = "relay";

/**
 * Headers the Worker sets after authenticating the relay; the hub trusts only
 * these. The Worker strips every header with this prefix from the client.
 */
export const INTERNAL_HEADER_PREFIX = "x-internal-";
export const RELAY_ID_HEADER = `${INTERNAL_HEADER_PREFIX}relay-id`;
export const TENANT_ID_HEADER = `${INTERNAL_HEADER_PREFIX}tenant-id`;

export interface LinkConnection {
  relayId: string;
  tenantId: string;
  /** Increases with every connection of the relay; calls remember the one that last announced them. */
  connectionId: number;
  connectedAt: number;
  handshakeDone: boolean;
  protocolVersion: number | null;
  /** A newer connection of the same relay took over: ignore this socket. */
  replaced: boolean;
  /** The relay's token was revoked and this socket is closing: ignore it. */
  revoked?: boolean;
}

/**
 * Close reason, with 4401, when the relay's token was revoked while its link
 * was up (the relay's log says so: relay/link/link-failures.ts).
 */
export const REVOKED_CLOSE_REASON = CloseReason.Revoked;

export function connectionOf(ws: WebSocket): LinkConnection | null {
  return (ws.deserializeAttachment() as LinkConnection | null) ?? null;
}

/** WebSocket.readyState of an open socket. */
export const WS_OPEN = 1;

/** The socket that speaks for the relay now: handshake done, not replaced, open. */
export function liveSocket(sockets: readonly WebSocket[]): WebSocket | undefined {
  return sockets.find((ws) => {
    const conn = connectionOf(ws);
    return conn !== null && !conn.replaced && !conn.revoked && conn.handshakeDone && ws.readyState === WS_OPEN;
  });
}

/** Sends one binary message; false when the socket is gone (the caller decides whether that matters). */
export function sendBytes(ws: WebSocket, bytes: Uint8Array): boolean {
  try {
    ws.send(bytes);
    return true;
  } catch {
    return false;
  }
}

export function sendControls(ws: WebSocket, controls: readonly ControlInput[]): boolean {
  return sendBytes(ws, encodeLinkMessage(controls));
}

/** Closes, ignoring a socket that is already closing (close() throws then). */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed: nothing left to tell the peer.
  }
}

/** A link-level failure: tell the relay why (an `error` control), then close with `closeCode`. */
export function failLink(ws: WebSocket, code: string, message: string, closeCode: number, reason: string): void {
  const conn = connectionOf(ws);
  log("warn", "link_closed_on_error", { relayId: conn?.relayId, code, closeCode });
  try {
    sendControls(ws, [{ type: "error", code, message: printable(message), consequence: Consequence.CloseLink }]);
  } catch {
    // The message failed our own validation; the close code still says enough.
  }
  closeSocket(ws, closeCode, reason);
}

/**
 * Answers the relay's hello: welcome with the negotiated version, or
 * LINK_VERSION_UNSUPPORTED and close 4426. Returns whether the link is up.
 */
export function completeHandshake(ws: WebSocket, conn: LinkConnection, hello: ControlOf<"hello">, limits: LinkLimits): boolean {
  const version = negotiateVersion(hello.protocolVersion, hello.minProtocolVersion);
  if (version === undefined) {
    const message = `relay speaks ${hello.minProtocolVersion}..${hello.protocolVersion}, this cloud does not`;
    failLink(ws, LinkErrorCode.VersionUnsupported, message, CloseCode.VersionUnsupported, "version unsupported");
    return false;
  }
  Object.assign(conn, { handshakeDone: true, protocolVersion: version });
  ws.serializeAttachment(conn);
  sendControls(ws, [{ type: "welcome", protocolVersion: version, relayId: conn.relayId, limits, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS }]);
  log("info", "link_ready", { relayId: conn.relayId, protocolVersion: version, software: hello.software });
  return true;
}

/** Tells the relay that the cloud ended one call: `error` (end-call) then `call.end` with the code. */
export function sendCallFailure(ws: WebSocket, callId: string, code: string, message: string): void {
  sendControls(ws, [
    { type: "error", code, message: printable(message), consequence: Consequence.EndCall, callId },
    { type: "call.end", callId, reason: "error", code },
  ]);
}

/** Error text must be short and free of control characters (control.ts `text`). */
export function printable(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f]/g, " ").slice(0, 1000);
}
