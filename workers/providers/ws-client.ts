/**
 * Outbound WebSocket from a Durable Object with headers: `fetch` with
 * `Upgrade: websocket` (the `WebSocket` constructor cannot set
 * Authorization; PLATFORM.md). ws:// and wss:// are mapped to http(s)://,
 * which is what workerd's fetch takes for an upgrade.
 */
import { ProviderError } from "./provider.js";

export interface JsonSocket {
  send(message: unknown): void;
  close(code?: number, reason?: string): void;
  readonly raw: WebSocket;
}

export interface SocketHandlers {
  message(data: unknown): void;
  close(code: number, reason: string): void;
}

export function httpUrlOf(url: string): string {
  return url.replace(/^ws(s?):\/\//i, "http$1://");
}

/** Opens the socket; rejects with a ProviderError (`unauthorized`, `connect_failed`) when the server refuses. */
export async function connectJsonSocket(url: string, headers: Record<string, string>, handlers: SocketHandlers, protocols?: string[]): Promise<JsonSocket> {
  const h = new Headers(headers);
  h.set("Upgrade", "websocket");
  if (protocols?.length) h.set("Sec-WebSocket-Protocol", protocols.join(", "));
  let resp: Response;
  try {
    resp = await fetch(httpUrlOf(url), { headers: h });
  } catch (err) {
    throw new ProviderError("connect_failed", `cannot reach ${new URL(httpUrlOf(url)).host}: ${String(err)}`);
  }
  const ws = resp.webSocket;
  if (!ws) {
    const body = await resp.text().catch(() => "");
    throw new ProviderError(resp.status === 401 || resp.status === 403 ? "unauthorized" : "connect_failed", `upgrade refused: HTTP ${resp.status} ${body.slice(0, 200)}`, resp.status);
  }
  ws.accept();
  ws.addEventListener("message", (ev) => {
    if (typeof ev.data !== "string") return; // every vendor here speaks JSON text frames
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    handlers.message(data);
  });
  ws.addEventListener("close", (ev) => handlers.close(ev.code, ev.reason));
  ws.addEventListener("error", () => handlers.close(1006, "socket error"));
  return {
    raw: ws,
    send(message) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    },
    close(code = 1000, reason = "") {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    },
  };
}
