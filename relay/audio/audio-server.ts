/**
 * The local WebSocket server mod_audio_stream connects to (default
 * 127.0.0.1:8085). The path is checked before the upgrade: anything that is
 * not `/stream/<uuid>/<call_uuid>[/<caller>]` is refused with HTTP 404 or
 * 400 and a log line saying why. Each accepted connection becomes an
 * {@link AudioStream}, handed to the call manager, which pairs it with the
 * call's event socket and the link.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Logger } from "../log.js";
import { closeSocket } from "../ws-close.js";
import { AudioStream, type AudioCounters } from "./audio-stream.js";
import { parseStreamPath, type StreamTarget } from "./stream-path.js";

export type { AudioCounters } from "./audio-stream.js";

/** Who takes accepted streams: returns false when the call is refused (the stream is then closed by the taker). */
export interface StreamTaker {
  onStream(stream: AudioStream): boolean;
  /** The relay is stopping: end the calls these streams carry. */
  shutdownStreams?(): void;
}

export interface AudioServerOptions {
  host: string;
  /** 0 picks a free port; {@link AudioStreamServer.listen} says which. */
  port: number;
  calls: StreamTaker;
  log: Logger;
  /** Largest message accepted from the module (1 s of 16 kHz PCM16 is 32,000 bytes). */
  maxMessageBytes?: number;
  /** Module socket bytes not yet written above which playback waits. */
  playbackHighWaterBytes?: number;
}

/** For /health. */
export interface AudioServerSnapshot {
  streams: number;
  counters: AudioCounters;
}

// How long streams get to close at shutdown before they are cut.
const SHUTDOWN_GRACE_MS = 2000;
const CLOSE_GOING_AWAY = 1001;

/** The audio stream server. */
export class AudioStreamServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly streams = new Set<AudioStream>();
  private readonly sockets = new Set<WebSocket>();
  private readonly log: Logger;
  readonly counters: AudioCounters = {
    streamsAccepted: 0,
    streamsRejected: 0,
    streamsRefusedByLink: 0,
    framesIn: 0,
    bytesIn: 0,
    textMessagesIn: 0,
    playbackChunksOut: 0,
    playbackBytesOut: 0,
    playbackBytesCleared: 0,
    playbackFramesRefused: 0,
    streamErrors: 0,
  };

  constructor(private readonly options: AudioServerOptions) {
    this.log = options.log.child({ component: "audio" });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes ?? 1024 * 1024 });
    this.http = createServer((_req, res) => {
      const body = JSON.stringify({ error: "this port serves mod_audio_stream WebSockets on /stream/... only" });
      res.writeHead(426, { "content-type": "application/json", connection: "close" }).end(body);
    });
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on("clientError", (_err, socket) => socket.destroy());
  }

  /** Starts listening; resolves with the address actually bound (the port when 0 was asked). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off("error", reject);
        this.http.on("error", (err) => this.log.error({ err }, "audio server error"));
        const address = this.http.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Live module connections and counters. */
  snapshot(): AudioServerSnapshot {
    return { streams: this.streams.size, counters: { ...this.counters } };
  }

  /** Ends every call (call.end "relay-shutdown"), closes the module sockets (1001) and the server. */
  async close(): Promise<void> {
    try {
      this.options.calls.shutdownStreams?.();
    } catch (err) {
      this.log.error({ err }, "ending calls at shutdown failed");
    }
    await Promise.all([...this.sockets].map((ws) => closeSocket(ws, CLOSE_GOING_AWAY, "relay shutting down", SHUTDOWN_GRACE_MS)));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws takes the socket over, a reset from the peer must not become an uncaught error.
    socket.on("error", (err) => this.log.debug({ err: err.message }, "audio upgrade socket error"));
    try {
      const url = req.url ?? "";
      const parsed = parseStreamPath(url);
      if (!parsed.ok) {
        this.counters.streamsRejected++;
        this.log.warn({ status: parsed.status, why: parsed.reason, path: url.slice(0, 200) }, "audio stream rejected");
        refuseUpgrade(socket, parsed.status, parsed.reason);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, parsed.target));
    } catch (err) {
      this.log.error({ err }, "audio upgrade failed");
      socket.destroy();
    }
  }

  private onConnection(ws: WebSocket, target: StreamTarget): void {
    this.sockets.add(ws);
    ws.once("close", () => this.sockets.delete(ws));
    try {
      const stream = new AudioStream(ws, target, {
        log: this.log,
        counters: this.counters,
        playbackHighWaterBytes: this.options.playbackHighWaterBytes ?? 256 * 1024,
      });
      this.streams.add(stream);
      ws.once("close", () => this.streams.delete(stream));
      if (!this.options.calls.onStream(stream)) return;
      this.counters.streamsAccepted++;
      stream.log.info({ secretaryId: target.secretaryId, domainId: target.domainId, sampleRate: target.sampleRate }, "audio stream connected");
    } catch (err) {
      this.counters.streamErrors++;
      this.log.error({ err, callId: target.callId }, "audio stream setup failed");
      ws.terminate();
    }
  }
}

/** Answers an upgrade we will not accept with a plain HTTP error, as ws does. */
function refuseUpgrade(socket: Duplex, status: 400 | 404, reason: string): void {
  const body = JSON.stringify({ error: reason });
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
