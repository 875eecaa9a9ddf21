/**
 * The plumbing every vendor stand-in shares: one HTTP server on 127.0.0.1
 * (port 0 unless told), WebSocket upgrades handed to the vendor's handler,
 * and a log of what each client sent, readable over HTTP
 * (`GET /_stand-in/log?key=<api key>`) so tests running inside workerd can
 * assert on it. Scenarios are picked per connection by the API key
 * (`test-<scenario>-<anything>`), so parallel tests never share state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface StandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Everything logged under `key`, in order. */
  log(key: string): unknown[];
  close(): Promise<void>;
}

export interface StandInHandlers {
  /** A WebSocket upgrade; return false to refuse with 404. */
  socket?(ws: WebSocket, req: IncomingMessage, log: (entry: unknown) => void): void;
  /** Which upgrades to accept, and with what HTTP error to refuse the others (checked before the upgrade). */
  accept?(req: IncomingMessage): { ok: true; key: string } | { ok: false; status: number; body: string };
  /** A plain HTTP request; return false when not handled (404). */
  http?(req: IncomingMessage, res: ServerResponse, body: Buffer, log: (key: string, entry: unknown) => void): boolean | Promise<boolean>;
}

/** The scenario named by an API key `test-<scenario>-...` (or the whole key). */
export function scenarioOf(key: string | null | undefined): string {
  const m = /^(?:test|sk-test)-([a-z0-9_]+)/.exec(key ?? "");
  return m?.[1] ?? "default";
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startStandIn(handlers: StandInHandlers, port = 0): Promise<StandIn> {
  const logs = new Map<string, unknown[]>();
  const append = (key: string, entry: unknown) => {
    let l = logs.get(key);
    if (!l) logs.set(key, (l = []));
    l.push(entry);
  };
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stand-in");
      if (url.pathname === "/_stand-in/log") return sendJson(res, 200, logs.get(url.searchParams.get("key") ?? "") ?? []);
      Promise.resolve(handlers.http?.(req, res, Buffer.concat(chunks), append) ?? false)
        .then((handled) => {
          if (!handled) sendJson(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
        })
        .catch((err: unknown) => sendJson(res, 500, { error: { message: String(err) } }));
    });
  });
  server.on("upgrade", (req, sock, head) => {
    const verdict = handlers.accept?.(req) ?? { ok: false as const, status: 404, body: "no WebSocket here" };
    if (!verdict.ok || !handlers.socket) {
      const status = verdict.ok ? 404 : verdict.status;
      const body = verdict.ok ? "" : verdict.body;
      sock.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    const key = verdict.key;
    wss.handleUpgrade(req, sock, head, (ws) => handlers.socket?.(ws, req, (entry) => append(key, entry)));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    log: (key) => logs.get(key) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
