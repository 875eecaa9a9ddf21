/**
 * The fastest cloud the link protocol allows, for measuring the relay alone:
 * a `ws` server that answers hello and ping, and plays every up frame back
 * at once as a down frame on the same slot, one message per message
 * received. It keeps no history (relay/testing/cloud-stub.ts records every
 * item, which a long run at thousands of calls cannot afford) and counts what
 * it sees. `onUpFrame` sees each frame as it arrives, for timing the up leg.
 */
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { WebSocketServer, type WebSocket } from "ws";
import {
  DEFAULT_LIMITS,
  Direction,
  encodeLinkMessage,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  LinkDecoder,
  PROTOCOL_VERSION,
  type AudioFrame,
} from "../../shared/link/index.js";

export interface EchoStubCounters {
  messagesIn: number;
  bytesIn: number;
  framesIn: number;
  messagesOut: number;
  bytesOut: number;
  protocolErrors: number;
}

export class EchoStub {
  readonly counters: EchoStubCounters = { messagesIn: 0, bytesIn: 0, framesIn: 0, messagesOut: 0, bytesOut: 0, protocolErrors: 0 };
  onUpFrame: ((payload: Uint8Array, at: number) => void) | undefined;
  /** Per slot, the messages that carried its frames: what each CallSession would get as RPCs from the hub. */
  readonly messagesPerSlot = new Map<number, number>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly token: string,
  ) {
    wss.on("connection", (ws, req) => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        ws.close(4401, "unauthorized");
        return;
      }
      this.serve(ws);
    });
  }

  static async start(token: string): Promise<EchoStub> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/relay/connect", perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve) => wss.once("listening", resolve));
    return new EchoStub(wss, token);
  }

  /** What the relay's CLOUD_URL should be. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  resetCounters(): void {
    for (const key of Object.keys(this.counters) as (keyof EchoStubCounters)[]) this.counters[key] = 0;
    this.messagesPerSlot.clear();
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private serve(ws: WebSocket): void {
    const decoder = new LinkDecoder();
    ws.on("error", () => undefined);
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) {
        if (data.toString() === HEARTBEAT_PING) ws.send(HEARTBEAT_PONG);
        return;
      }
      const at = performance.now();
      this.counters.messagesIn++;
      this.counters.bytesIn += data.byteLength;
      let items;
      try {
        items = decoder.decodeMessage(data);
      } catch {
        this.counters.protocolErrors++;
        ws.close(4400, "protocol error");
        return;
      }
      const back: AudioFrame[] = [];
      const slots = new Set<number>();
      for (const item of items) {
        if (item.kind === "control" && item.message.type === "hello") {
          ws.send(encodeLinkMessage([{ type: "welcome", protocolVersion: PROTOCOL_VERSION, relayId: "bench-relay", limits: { ...DEFAULT_LIMITS }, heartbeatIntervalMs: 2000 }]));
        } else if (item.kind === "audio" && item.frame.direction === Direction.Up) {
          this.counters.framesIn++;
          this.onUpFrame?.(item.frame.payload, at);
          slots.add(item.frame.slot);
          back.push({ ...item.frame, direction: Direction.Down });
        }
      }
      for (const slot of slots) this.messagesPerSlot.set(slot, (this.messagesPerSlot.get(slot) ?? 0) + 1);
      if (back.length === 0) return;
      const out = encodeLinkMessage([], back);
      this.counters.messagesOut++;
      this.counters.bytesOut += out.byteLength;
      ws.send(out);
    });
  }
}
