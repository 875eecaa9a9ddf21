/** Closing a `ws` socket without waiting on a peer that never answers. */
import { WebSocket, type RawData } from "ws";

/**
 * Sends a close frame (when open) and resolves once the socket is closed,
 * or after `graceMs`, cutting it then: ws would otherwise wait 30 s for a
 * peer that never completes the closing handshake.
 */
export function closeSocket(ws: WebSocket, code: number, reason: string, graceMs: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, graceMs);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason.slice(0, 123));
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
}

/** One message's bytes as a Buffer, without copying when ws already gives one. */
export function messageBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
