/**
 * `GET /health` (and `GET /metrics`, Prometheus): what an operator (or Docker's HEALTHCHECK) needs to see at a
 * glance. Always HTTP 200 while the process runs: a relay whose link is
 * down is degraded, not dead, and restarting it would drop the live calls
 * it is holding for the reconnect.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AudioServerSnapshot } from "./audio/audio-server.js";
import type { LinkSnapshot } from "./link/link-stats.js";
import type { Logger } from "./log.js";

/** The /health body. */
export interface HealthReport {
  status: "ok" | "degraded";
  link: {
    state: LinkSnapshot["state"];
    relayId: string | null;
    connectedSince: string | null;
    reconnects: number;
    lastError: LinkSnapshot["lastError"];
  };
  calls: number;
  streams: number;
  queue: { audioFrames: number; droppedAudioFrames: number; controlMessages: number };
  counters: { link: LinkSnapshot["counters"]; audio: AudioServerSnapshot["counters"] };
  uptimeSeconds: number;
}

/** Builds the report from the parts' snapshots (pure). */
export function healthReport(link: LinkSnapshot, audio: AudioServerSnapshot, uptimeSeconds: number): HealthReport {
  return {
    status: link.up ? "ok" : "degraded",
    link: {
      state: link.state,
      relayId: link.relayId,
      connectedSince: link.connectedSince,
      reconnects: link.reconnects,
      lastError: link.lastError,
    },
    calls: link.calls,
    streams: audio.streams,
    queue: { audioFrames: link.queue.audioFrames, droppedAudioFrames: link.queue.droppedAudioFrames, controlMessages: link.queue.controlMessages },
    counters: { link: link.counters, audio: audio.counters },
    uptimeSeconds: Math.round(uptimeSeconds),
  };
}

export interface HealthServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Called per request; must not throw (a failure answers 500). */
  report: () => HealthReport;
  /** `GET /metrics`: Prometheus text. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** The health HTTP server. */
export class HealthServer {
  private readonly http: Server;

  constructor(private readonly options: HealthServerOptions) {
    this.http = createServer((req, res) => {
      const path = (req.url ?? "").split("?", 1)[0];
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
      };
      if (req.method !== "GET" && req.method !== "HEAD" && (path === "/health" || path === "/metrics")) return send(405, { error: "method not allowed" });
      if (path === "/metrics" && options.metrics) {
        options.metrics().then(
          (m) => res.writeHead(200, { "content-type": m.contentType, "cache-control": "no-store" }).end(m.body),
          (err: unknown) => {
            options.log.error({ err }, "metrics failed");
            send(500, { status: "error" });
          },
        );
        return;
      }
      if (path !== "/health") return send(404, { error: "not found", paths: options.metrics ? ["/health", "/metrics"] : ["/health"] });
      try {
        send(200, options.report());
      } catch (err) {
        options.log.error({ err }, "health report failed");
        send(500, { status: "error" });
      }
    });
    this.http.on("clientError", (_err, socket) => socket.destroy());
  }

  /** Starts listening; resolves with the address actually bound. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off("error", reject);
        this.http.on("error", (err) => this.options.log.error({ err }, "health server error"));
        const address = this.http.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
