/**
 * A small stand-in for the cloud side of the link, for tests: a real `ws`
 * server on a free port that checks the token like the Worker (close 4401),
 * answers hello with a welcome and ping with pong, and records everything
 * the relay sends, decoded with the shared codec. Tests steer it: stop
 * answering (half-open), drop the connection, send anything.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { CloseCode, DEFAULT_LIMITS, Direction, HEARTBEAT_PING, HEARTBEAT_PONG, PROTOCOL_VERSION, type LinkLimits } from "../../shared/link/index.js";
import { LinkPeer } from "./link-peer.js";
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
export class StubConnection extends LinkPeer {
  pings = 0;
  /** false: receive but never answer, like a half-open socket. */
  answering = true;

  constructor(
    ws: WebSocket,
    readonly authorization: string | undefined,
    private readonly stub: CloudStub,
  ) {
    super(ws, { closeTimeoutMs: 3000, closeWhat: "the connection to close", countDecodeErrors: false });
  }

  protected override onMessage(data: Buffer, isBinary: boolean): void {
    if (!this.answering) return;
    if (!isBinary) {
      if (data.toString() === HEARTBEAT_PING) {
        this.pings++;
        this.ws.send(HEARTBEAT_PONG);
      }
      return;
    }
    const items = this.receive(data);
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
