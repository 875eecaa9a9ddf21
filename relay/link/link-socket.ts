/**
 * The link's transport: one WebSocket at a time to the cloud, and the
 * lifecycle around it. It connects with the relay token, says hello, waits
 * for the welcome (or gives up and reconnects), pings, declares a silent
 * socket half-open and reconnects forever with backoff. What travels on a
 * welcomed socket is the {@link LinkClient}'s business, handed over through
 * {@link LinkSocketHooks}. Nothing the cloud sends can throw out of here.
 */
import { WebSocket, type RawData } from "ws";
import {
  CloseCode, DEFAULT_LIMITS, encodeLinkMessage, HEARTBEAT_PING, HEARTBEAT_PONG, LinkDecoder, LinkErrorCode, LinkProtocolError, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
  type ControlOf, type LinkItem, type LinkLimits,
} from "../../shared/link/index.js";
import type { LinkTimingConfig } from "../config.js";
import type { Logger } from "../log.js";
import { closeSocket, messageBytes } from "../ws-close.js";
import { Backoff } from "./backoff.js";
import { describeClose, describeSocketError, LinkFailure, type FailureReport } from "./link-failures.js";
import type { LinkCounters, LinkLastError, LinkState } from "./link-stats.js";

export interface LinkSocketOptions extends LinkTimingConfig {
  url: string;
  token: string;
  log: Logger;
  software: string;
  capabilities: readonly string[];
  random?: () => number;
}

/** What the socket tells its owner. Each hook runs guarded. */
export interface LinkSocketHooks {
  /** The welcome arrived: the link is up. */
  onUp(welcome: ControlOf<"welcome">): void;
  /** One decoded item from the welcomed link, in wire order. */
  onItem(item: LinkItem): void;
  /** A welcomed connection was lost. */
  onDown(): void;
}

interface Connection {
  ws: WebSocket;
  decoder: LinkDecoder;
  welcomed: boolean;
  gone: boolean;
  timers: NodeJS.Timeout[];
  dead?: NodeJS.Timeout;
}

// How long a closing socket may take to finish its closing handshake before we cut it.
const CLOSE_GRACE_MS = 1000;

/**
 * Client frames are masked (RFC 6455 5.3, a MUST, with an unpredictable
 * key) so that bytes a sender does not fully control (here, callers' audio)
 * cannot look like HTTP to a proxy reading the stream (10.3). TLS alone is
 * not enough: a TLS-inspecting proxy on the PBX's network reads the frames.
 * Only on loopback (the local stack, tests, benches) does no intermediary
 * exist; there a zero mask spares ws copying and XOR-ing every byte.
 */
export function maskingProtectsNothing(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (protocol === "ws:" || protocol === "wss:") && ["127.0.0.1", "localhost", "[::1]", "::1"].includes(hostname);
  } catch {
    return false;
  }
}

const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

/** One outbound WebSocket at a time, reconnected forever. */
export class LinkSocket {
  private conn: Connection | undefined;
  private current: LinkState = "idle";
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly log: Logger;
  /** What the cloud announced in the current (or last) welcome. */
  limits: LinkLimits = { ...DEFAULT_LIMITS };
  relayId: string | null = null;
  connectedSince: Date | null = null;
  welcomes = 0;
  lastError: LinkLastError | null = null;
  /** Round trip of the last ping answered, ms (null until one is). */
  lastRttMs: number | null = null;
  private pingSentAt: number | undefined;

  constructor(
    private readonly options: LinkSocketOptions,
    private readonly counters: LinkCounters,
    private readonly hooks: LinkSocketHooks,
  ) {
    this.backoff = new Backoff({ minMs: options.backoffMinMs, maxMs: options.backoffMaxMs, random: options.random });
    this.log = options.log;
  }

  get state(): LinkState {
    return this.current;
  }

  get isUp(): boolean {
    return this.conn !== undefined && this.conn.welcomed && !this.conn.gone;
  }

  /** Bytes the socket has not yet handed to the kernel; Infinity when it cannot send. */
  get bufferedAmount(): number {
    const ws = this.conn?.ws;
    return this.isUp && ws?.readyState === WebSocket.OPEN ? ws.bufferedAmount : Infinity;
  }

  start(): void {
    if (this.current === "idle") this.connect();
  }

  /** Sends one binary message on the welcomed socket; false when it cannot. */
  send(message: Uint8Array): boolean {
    const conn = this.conn;
    if (!conn || !this.isUp || conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(message);
    this.counters.messagesSent++;
    this.counters.bytesSent += message.byteLength;
    return true;
  }

  /** A link-level protocol error: close with 4400, log the code, reconnect. */
  closeForProtocolError(code: string, detail: string): void {
    if (!this.conn) return;
    this.counters.protocolErrors++;
    this.noteError(code);
    this.log.error({ code, detail: detail.slice(0, 300) }, "link protocol error, closing the link");
    this.closeConnection(this.conn, CloseCode.ProtocolError, code);
  }

  /** Closes the socket (1001 by default) and stops reconnecting. */
  async stop(code: number = CloseCode.GoingAway, reason = "relay shutting down"): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    const conn = this.conn;
    if (conn && !conn.gone) {
      await closeSocket(conn.ws, code, reason, CLOSE_GRACE_MS * 2);
      this.connectionGone(conn);
    }
    this.current = "stopped";
  }

  private connect(): void {
    if (this.stopping) return;
    this.current = "connecting";
    this.counters.connectAttempts++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, {
        headers: { authorization: `Bearer ${this.options.token}` },
        perMessageDeflate: false,
        handshakeTimeout: this.options.handshakeTimeoutMs,
        maxPayload: 16 * DEFAULT_LIMITS.maxRecordBytes,
        generateMask: maskingProtectsNothing(this.options.url) ? zeroMask : undefined,
      });
    } catch (err) {
      this.noteError(LinkFailure.SocketError);
      this.log.warn({ err }, "cannot open the link socket");
      this.scheduleReconnect();
      return;
    }
    const conn: Connection = { ws, decoder: new LinkDecoder(), welcomed: false, gone: false, timers: [] };
    this.conn = conn;
    conn.timers.push(setTimeout(() => this.guard(() => this.onHandshakeTimeout(conn)), this.options.handshakeTimeoutMs));
    ws.on("open", () => this.guard(() => this.onOpen(conn)));
    ws.on("message", (data, isBinary) => this.guard(() => this.onMessage(conn, data, isBinary)));
    ws.on("error", (err) => this.guard(() => this.onSocketError(conn, err)));
    ws.on("close", (code, reason) => this.guard(() => this.onClose(conn, code, reason.toString("utf8"))));
  }

  private onOpen(conn: Connection): void {
    if (conn.gone) return;
    this.current = "handshaking";
    const { software, capabilities } = this.options;
    conn.ws.send(encodeLinkMessage([{ type: "hello", protocolVersion: PROTOCOL_VERSION, minProtocolVersion: MIN_PROTOCOL_VERSION, software, capabilities: [...capabilities] }]));
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.gone) return;
    conn.dead?.refresh(); // anything at all proves the socket alive
    const bytes = messageBytes(data);
    this.counters.messagesReceived++;
    this.counters.bytesReceived += bytes.byteLength;
    if (!isBinary) {
      if (bytes.toString("utf8") !== HEARTBEAT_PONG) this.closeForProtocolError(LinkFailure.UnexpectedText, "a text message other than pong");
      // Pongs come back in order: the first answers the oldest unanswered ping.
      else if (this.pingSentAt !== undefined) [this.lastRttMs, this.pingSentAt] = [performance.now() - this.pingSentAt, undefined];
      return;
    }
    let items: LinkItem[];
    try {
      items = conn.decoder.decodeMessage(bytes);
    } catch (err) {
      const code = err instanceof LinkProtocolError ? err.code : LinkErrorCode.Internal;
      this.closeForProtocolError(code, err instanceof Error ? err.message : String(err));
      return;
    }
    for (const item of items) {
      if (conn.gone) return;
      if (conn.welcomed) this.guard(() => this.hooks.onItem(item));
      else if (item.kind === "control" && item.message.type === "welcome") this.onWelcome(conn, item.message);
      else if (item.kind === "control" && item.message.type === "error") {
        this.noteError(item.message.code);
        this.log.error({ code: item.message.code, detail: item.message.message }, "the cloud refused the handshake");
      } else this.log.warn({ kind: item.kind }, "ignored a message before the welcome");
    }
  }

  private onWelcome(conn: Connection, welcome: ControlOf<"welcome">): void {
    if (welcome.protocolVersion > PROTOCOL_VERSION || welcome.protocolVersion < MIN_PROTOCOL_VERSION) {
      this.noteError(LinkErrorCode.VersionUnsupported);
      this.log.error({ theirs: welcome.protocolVersion, ours: PROTOCOL_VERSION }, "the cloud chose a protocol version this relay does not speak");
      this.closeConnection(conn, CloseCode.VersionUnsupported, LinkErrorCode.VersionUnsupported);
      return;
    }
    for (const t of conn.timers) clearTimeout(t);
    conn.welcomed = true;
    this.backoff.reset();
    this.limits = { ...welcome.limits };
    this.relayId = welcome.relayId;
    this.connectedSince = new Date();
    this.welcomes++;
    this.current = "up";
    // The cloud may ask for faster pings; never slower than configured, or the dead-link deadline breaks.
    const pingMs = Math.min(this.options.heartbeatMs, welcome.heartbeatIntervalMs);
    conn.dead = setTimeout(() => this.guard(() => this.onSilent(conn)), this.options.deadAfterMs);
    conn.timers = [setInterval(() => this.guard(() => this.ping(conn)), pingMs), conn.dead];
    this.guard(() => this.hooks.onUp(welcome));
  }

  private ping(conn: Connection): void {
    if (conn.gone || conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(HEARTBEAT_PING);
    this.pingSentAt ??= performance.now();
    this.counters.pingsSent++;
  }

  private onSilent(conn: Connection): void {
    this.counters.deadLinks++;
    const msg = "nothing from the cloud: assuming a half-open socket, reconnecting";
    this.abandon(conn, { code: LinkFailure.Dead, level: "warn", msg }, { silentMs: this.options.deadAfterMs });
  }

  private onHandshakeTimeout(conn: Connection): void {
    if (conn.gone || conn.welcomed) return;
    this.counters.handshakeTimeouts++;
    const msg = "no welcome from the cloud in time, reconnecting";
    this.abandon(conn, { code: LinkFailure.HandshakeTimeout, level: "warn", msg }, { timeoutMs: this.options.handshakeTimeoutMs });
  }

  /** Cuts a socket that stopped making sense (no close handshake: it may be half-open). */
  private abandon(conn: Connection, failure: FailureReport, fields: Record<string, unknown>): void {
    this.report(failure, fields);
    conn.ws.terminate();
    this.connectionGone(conn);
  }

  private onSocketError(conn: Connection, err: Error & { code?: string }): void {
    if (!conn.gone && !this.stopping) this.report(describeSocketError(err), { detail: err.message });
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    if (!conn.gone && !this.stopping) this.report(describeClose(code, conn.welcomed, reason), { code, reason: reason.slice(0, 123), wasUp: conn.welcomed });
    this.connectionGone(conn);
  }

  private report(failure: FailureReport, fields: Record<string, unknown>): void {
    if (failure.code !== undefined) this.noteError(failure.code);
    this.log[failure.level]({ ...fields, error: failure.code }, failure.msg);
  }

  private closeConnection(conn: Connection, code: number, reason: string): void {
    // Not awaited: the next attempt need not wait for this socket's closing handshake.
    void closeSocket(conn.ws, code, reason, CLOSE_GRACE_MS);
    this.connectionGone(conn);
  }

  /** Once per connection: stop its timers, tell the owner, and (unless stopping) schedule the next attempt. */
  private connectionGone(conn: Connection): void {
    if (conn.gone) return;
    conn.gone = true;
    this.pingSentAt = undefined;
    for (const t of conn.timers) clearTimeout(t);
    if (this.conn === conn) this.conn = undefined;
    if (conn.welcomed) {
      this.connectedSince = null;
      this.guard(() => this.hooks.onDown());
    }
    if (this.stopping) {
      this.current = "stopped";
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMs = this.backoff.next();
    this.current = "waiting";
    this.log.debug({ delayMs, attempt: this.backoff.attempt }, "link reconnecting");
    this.reconnectTimer = setTimeout(() => this.guard(() => this.connect()), delayMs);
  }

  private noteError(code: string): void {
    this.lastError = { code, at: new Date().toISOString() };
  }

  /** Last line of defence: nothing from a socket event may crash the relay. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.counters.handlerErrors++;
      this.log.error({ err }, "link event handler failed");
    }
  }
}
