/**
 * A small stand-in for the cloud side of the link, for tests: a real `ws`
 * server on a free port that checks the token like the Worker (close 4401),
 * answers hello with a welcome and ping with pong, and records everything
 * the relay sends, decoded with the shared codec. Tests steer it: stop
 * answering (half-open), drop the connection, send anything.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  CloseCode,
  DEFAULT_LIMITS,
  Direction,
  encodeLinkMessage,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  LinkDecoder,
  PROTOCOL_VERSION,
  type AudioFrame,
  type ControlInput,
  type ControlOf,
  type ControlType,
  type LinkItem,
  type LinkLimits,
} from "../../shared/link/index.js";
import { waitFor } from "./wait.js";

/** A token long enough for the config rules. */
export const TEST_TOKEN = "test-token-0123456789abcdef0123456789";

export interface CloudStubOptions {
  token: string;
  /** Answer hello with a welcome (false: let the handshake time out). */
  welcome: boolean;
  limits: Partial<LinkLimits>;
  heartbeatIntervalMs: number;
  protocolVersion: number;
  /** Play each call's audio back to it, like the diagnostic echo secretary. */
  echo: boolean;
}

/** One relay connection as the stub saw it. */
export class StubConnection {
  /** Every item received, in order (payloads copied). */
  readonly items: LinkItem[] = [];
  /** Items per binary message, to count how audio was bundled. */
  readonly messages: LinkItem[][] = [];
  pings = 0;
  /** false: receive but never answer, like a half-open socket. */
  answering = true;
  closeInfo: { code: number; reason: string } | undefined;
  private readonly decoder = new LinkDecoder();

  constructor(
    readonly ws: WebSocket,
    readonly authorization: string | undefined,
    private readonly stub: CloudStub,
  ) {
    ws.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on("close", (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
    ws.on("error", () => undefined);
  }

  controls<T extends ControlType>(type: T): ControlOf<T>[] {
    return this.items.flatMap((i) => (i.kind === "control" && i.message.type === type ? [i.message as ControlOf<T>] : []));
  }

  frames(slot?: number): AudioFrame[] {
    return this.items.flatMap((i) => (i.kind === "audio" && (slot === undefined || i.frame.slot === slot) ? [i.frame] : []));
  }

  sendControl(...messages: ControlInput[]): void {
    this.ws.send(encodeLinkMessage(messages));
  }

  sendFrames(frames: AudioFrame[]): void {
    this.ws.send(encodeLinkMessage([], frames));
  }

  /** Sends bytes (binary) or a string (text) as they are. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  /** Waits until the relay closed this connection (or it was cut). */
  async closed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closeInfo !== undefined, { timeoutMs, what: "the connection to close" });
    return this.closeInfo as { code: number; reason: string };
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.answering) return;
    if (!isBinary) {
      if (data.toString() === HEARTBEAT_PING) {
        this.pings++;
        this.ws.send(HEARTBEAT_PONG);
      }
      return;
    }
    const items = this.decoder.decodeMessage(data).map(copyItem);
    this.messages.push(items);
    this.items.push(...items);
    if (this.stub.options.echo) {
      const back = items.flatMap((i) => (i.kind === "audio" && i.frame.direction === Direction.Up ? [{ ...i.frame, direction: Direction.Down }] : []));
      if (back.length > 0) this.sendFrames(back);
    }
    const hello = items.find((i) => i.kind === "control" && i.message.type === "hello");
    if (hello && this.stub.options.welcome) {
      this.sendControl({
        type: "welcome",
        protocolVersion: this.stub.options.protocolVersion,
        relayId: "relay-test",
        limits: { ...DEFAULT_LIMITS, ...this.stub.options.limits },
        heartbeatIntervalMs: this.stub.options.heartbeatIntervalMs,
      });
    }
  }
}

/** The stub server. */
export class CloudStub {
  readonly connections: StubConnection[] = [];
  /** Refused (4401) connection attempts. */
  refused = 0;
  private constructor(
    private readonly wss: WebSocketServer,
    readonly options: CloudStubOptions,
  ) {
    wss.on("connection", (ws, req) => {
      if (req.headers.authorization !== `Bearer ${this.options.token}`) {
        // Like the Worker: accept the upgrade, close at once.
        this.refused++;
        ws.close(CloseCode.Unauthorized, "unauthorized");
        return;
      }
      this.connections.push(new StubConnection(ws, req.headers.authorization, this));
    });
  }

  static async start(options: Partial<CloudStubOptions> = {}): Promise<CloudStub> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v1/relay/connect" });
    await new Promise<void>((resolve) => wss.once("listening", resolve));
    return new CloudStub(wss, { token: TEST_TOKEN, welcome: true, limits: {}, heartbeatIntervalMs: 2000, protocolVersion: PROTOCOL_VERSION, echo: false, ...options });
  }

  /** The ws:// URL of the link endpoint. */
  get linkUrl(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/v1/relay/connect`;
  }

  /** The base URL, as an operator would put it in CLOUD_URL. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** Waits for the connection with this index (0 = the first) and, by default, its hello. */
  async connection(index: number, timeoutMs = 3000): Promise<StubConnection> {
    await waitFor(() => this.connections[index]?.controls("hello").length === 1, { timeoutMs, what: `connection #${index} and its hello` });
    return this.connections[index] as StubConnection;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function copyItem(item: LinkItem): LinkItem {
  return item.kind === "audio" ? { kind: "audio", frame: { ...item.frame, payload: new Uint8Array(item.frame.payload) } } : item;
}
