/**
 * The relay's side of the link, as the rest of the relay uses it: open calls,
 * stream their audio and control, learn what the cloud wants done with them.
 * Calls outlive connections: after a reconnect and welcome every live call
 * is resumed (same callId, same slot) before anything queued meanwhile, so
 * each continues on the same CallSession in the cloud.
 *
 * The socket's lifecycle (hello, heartbeats, backoff) is {@link LinkSocket}'s;
 * what is waiting to be sent is the {@link Outbox}'s.
 */
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import type { AudioFrame, ControlInput, ControlOf, LinkLimits } from "../../shared/link/index.js";
import { CallRegistry, announceCall, type CallEntry, type CallInfo } from "../calls/registry.js";
import type { LinkTimingConfig } from "../config.js";
import type { Logger } from "../log.js";
import { RELAY_SOFTWARE } from "../version.js";
import { routeInbound, type InboundContext } from "./inbound.js";
import { LinkCall, type CallEnd, type CallHandler, type CallPort } from "./link-call.js";
import { LinkSocket } from "./link-socket.js";
import { newLinkCounters, type LinkSnapshot, type LinkState } from "./link-stats.js";
import { Outbox } from "./outbox.js";

/** What this relay can do, announced in its hello. */
export const RELAY_CAPABILITIES = ["call.resume", "audio.bundle", "playback.stream", "playback.clear"] as const;

export interface LinkClientOptions extends LinkTimingConfig {
  /** Full ws(s) URL of /v1/relay/connect. */
  url: string;
  token: string;
  log: Logger;
  /** For the hello; `voice-relay/<version>` when absent. */
  software?: string;
  /** Random source for backoff jitter (tests make it deterministic). */
  random?: () => number;
}

/**
 * Most binary messages a second the relay sends (each one an incoming, billed
 * message, and CPU, at the RelayHub). Audio leaves as soon as this allows, so
 * a lightly loaded relay adds little bundling delay; under load frames gather
 * for up to `1000 / maxMessagesPerSecond` ms (never longer than `bundleMs`).
 * 100 (10 ms): about twice the hub's messages of a fixed 20 ms window at a
 * few dozen calls, fewer at hundreds; 250 halves the delay again but costs
 * the cloud ~40% more CPU per AI call (README, benchmarks).
 */
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 100;

export type OpenCallResult = { ok: true; call: LinkCall } | { ok: false; reason: "duplicate" | "full" | "stopping" | "invalid" };

/** The link client. Emits `up` after each welcome and `down` when a welcomed connection is lost. */
export class LinkClient extends EventEmitter<{ up: [{ relayId: string }]; down: [] }> {
  /** Counters since start (also in {@link snapshot}). */
  readonly counters = newLinkCounters();
  private readonly registry = new CallRegistry<CallHandler>();
  private readonly outbox: Outbox;
  private readonly socket: LinkSocket;
  private readonly log: Logger;
  private readonly port: CallPort;
  private readonly inbound: InboundContext;
  /** A flush is due: at the next turn of the event loop, or when the message budget allows. */
  private flushSoon: NodeJS.Immediate | undefined;
  private flushLater: NodeJS.Timeout | undefined;
  private readonly runFlush = () => {
    this.flushSoon = undefined;
    this.flushLater = undefined;
    this.flush();
  };
  /** Shortest time between two messages, ms. */
  private readonly gapMs: number;
  private lastSentAt = -Infinity;
  private stopping = false;
  /** call.end messages handed to a live socket lately, and when. */
  private recentEnds: { message: ControlInput; at: number }[] = [];
  private lostAt = 0;

  constructor(private readonly options: LinkClientOptions) {
    super();
    this.log = options.log.child({ component: "link" });
    this.outbox = new Outbox({ maxQueuedAudioMsPerCall: options.maxQueuedAudioMs });
    this.gapMs = Math.min(options.bundleMs, 1000 / (options.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND));
    this.socket = new LinkSocket(
      { ...options, log: this.log, software: options.software ?? RELAY_SOFTWARE, capabilities: RELAY_CAPABILITIES },
      this.counters,
      { onUp: (welcome) => this.onUp(welcome), onItem: (item) => routeInbound(item, this.inbound), onDown: () => this.onDown() },
    );
    this.port = {
      limits: () => this.socket.limits,
      nextUpFrame: (call, payload) => this.registry.nextUpFrame(call, payload),
      isLive: (call) => this.registry.get(call.info.callId) === call,
      queueAudio: (frame, owner) => this.queueAudio(frame, owner),
      queueControl: (message) => this.queueControl(message),
      endFromRelay: (call, end) => this.endFromRelay(call, end),
    };
    this.inbound = {
      registry: this.registry,
      log: this.log,
      counters: this.counters,
      endFromCloud: (callId, end) => this.endFromCloud(callId, end),
      endForProtocolError: (call, code) => {
        this.endFromRelay(call, { reason: "protocol-error", code });
        this.notifyEnd(call, { reason: "protocol-error", code });
      },
      sendControl: (message) => this.queueControl(message),
      closeForProtocolError: (code, detail) => this.socket.closeForProtocolError(code, detail),
    };
  }

  get state(): LinkState {
    return this.socket.state;
  }

  /** True between a welcome and the loss of that connection. */
  get isUp(): boolean {
    return this.socket.isUp;
  }

  /** Round trip of the last heartbeat, ms; null before the first pong. */
  get rttMs(): number | null {
    return this.socket.lastRttMs;
  }

  /** The limits the cloud announced (defaults until the first welcome). */
  get limits(): LinkLimits {
    return this.socket.limits;
  }

  /** Starts connecting, and reconnecting until {@link stop}. */
  start(): void {
    this.socket.start();
  }

  /**
   * Registers a call on the lowest free slot and queues its call.start.
   * Refused for a call UUID already live, when the cloud's maxCalls or the
   * slots are used up, for info the codec rejects, or while stopping.
   */
  openCall(info: CallInfo, handler: CallHandler): OpenCallResult {
    if (this.stopping) return { ok: false, reason: "stopping" };
    if (this.registry.size >= this.socket.limits.maxCalls) return this.refused("full", info);
    const added = this.registry.add(info, handler);
    if (!added.ok) return this.refused(added.reason, info);
    try {
      this.outbox.pushControl(announceCall(added.call, "call.start"));
    } catch (err) {
      this.registry.remove(info.callId);
      this.log.error({ err, callId: info.callId }, "call.start rejected by the codec");
      return this.refused("invalid", info);
    }
    this.counters.callsStarted++;
    // Nothing waits for a call.start: it leaves with the call's first frames.
    this.scheduleFlush();
    return { ok: true, call: new LinkCall(added.call, this.port) };
  }

  /** Sends what is queued, closes the link with 1001 and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.flush();
    this.cancelFlush();
    await this.socket.stop();
  }

  /** State, queue and counters for /health. */
  snapshot(): LinkSnapshot {
    return {
      state: this.socket.state,
      up: this.socket.isUp,
      relayId: this.socket.relayId,
      connectedSince: this.socket.connectedSince?.toISOString() ?? null,
      reconnects: Math.max(0, this.socket.welcomes - 1),
      lastError: this.socket.lastError,
      calls: this.registry.size,
      queue: this.outbox.stats,
      counters: { ...this.counters },
    };
  }

  private onUp(welcome: ControlOf<"welcome">): void {
    const live = this.registry.list();
    // A call.end sent shortly before the connection was lost may never have arrived (half-open socket).
    const doubtful = this.recentEnds.filter((e) => e.at >= this.lostAt - this.endDoubtMs).map((e) => e.message);
    this.recentEnds = [];
    this.outbox.resumeWith(
      live.map((call) => announceCall(call, "call.resume")),
      new Set(live.map((call) => call.info.callId)),
      doubtful,
    );
    this.log.info(
      { relayId: welcome.relayId, url: this.options.url, protocolVersion: welcome.protocolVersion, resumedCalls: live.length, reconnects: this.socket.welcomes - 1 },
      "link up",
    );
    this.flush();
    this.emit("up", { relayId: welcome.relayId });
  }

  private onDown(): void {
    this.lostAt = Date.now();
    this.cancelFlush();
    // Expected when stopping; otherwise the calls now wait for the reconnect.
    this.log[this.stopping ? "info" : "warn"]({ calls: this.registry.size, queuedAudioFrames: this.outbox.stats.audioFrames }, "link down");
    this.emit("down");
  }

  private queueAudio(frame: AudioFrame, owner: string): void {
    this.outbox.pushAudio(frame, owner);
    if (this.outbox.wantsEarlyFlush(this.socket.limits)) this.flush();
    else this.scheduleFlush();
  }

  private queueControl(message: ControlInput): void {
    this.outbox.pushControl(message);
    if (ridesNextBundle(message)) this.scheduleFlush();
    else this.flush();
  }

  /**
   * Arranges a flush: at the next turn of the event loop (after the socket
   * reads of this turn, so frames that arrived together leave together), or,
   * when the last message left less than {@link gapMs} ago, once it has.
   */
  private scheduleFlush(): void {
    if (this.flushSoon || this.flushLater || !this.socket.isUp) return;
    const wait = this.lastSentAt + this.gapMs - performance.now();
    if (wait <= 0) this.flushSoon = setImmediate(this.runFlush);
    else this.flushLater = setTimeout(this.runFlush, wait);
  }

  private cancelFlush(): void {
    clearImmediate(this.flushSoon);
    clearTimeout(this.flushLater);
    this.flushSoon = undefined;
    this.flushLater = undefined;
  }

  /** Sends queued messages while the socket buffer is under the high-water mark; retries after `bundleMs` when it is not. */
  private flush(): void {
    this.cancelFlush();
    while (this.socket.isUp && !this.outbox.isEmpty) {
      if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
        this.counters.backpressureWaits++;
        this.flushLater = setTimeout(this.runFlush, this.options.bundleMs);
        return;
      }
      const message = this.outbox.takeMessage(this.socket.limits);
      if (!message || !this.socket.send(message)) return;
      this.lastSentAt = performance.now();
    }
  }

  private endFromRelay(call: CallEntry<CallHandler>, end: { reason: string; cause?: string; code?: string }): void {
    if (this.registry.get(call.info.callId) !== call) return;
    this.registry.remove(call.info.callId);
    // While down, the slot's queued audio must go: after the reconnect the
    // resumes jump ahead of the queue, and a new call may hold this slot.
    if (!this.socket.isUp) this.outbox.discardAudio(call.slot);
    this.counters.callsEndedByRelay++;
    const callId = call.info.callId;
    let message: ControlInput = { type: "call.end", callId, reason: end.reason, cause: end.cause, code: end.code };
    try {
      this.outbox.pushControl(message);
    } catch (err) {
      // A reason or cause the schema refuses must not keep the cloud from hearing that the call ended.
      this.log.warn({ err, callId }, "call.end details refused by the codec; sending it without them");
      this.outbox.pushControl((message = { type: "call.end", callId, reason: "ended" }));
    }
    if (this.socket.isUp) {
      const now = Date.now();
      this.recentEnds = this.recentEnds.filter((e) => e.at >= now - this.endDoubtMs);
      this.recentEnds.push({ message, at: now });
    }
    this.flush();
  }

  /** How long before a lost connection a sent call.end is in doubt: up to a dead-link deadline and a ping. */
  private get endDoubtMs(): number {
    return this.options.deadAfterMs + this.options.heartbeatMs;
  }

  private endFromCloud(callId: string, end: CallEnd): void {
    const call = this.registry.remove(callId);
    if (!call) {
      this.counters.unknownCallMessages++;
      return;
    }
    this.counters.callsEndedByCloud++;
    this.log.info({ callId, slot: call.slot, reason: end.reason, code: end.code }, "the cloud ended a call");
    this.notifyEnd(call, end);
  }

  private notifyEnd(call: CallEntry<CallHandler>, end: CallEnd): void {
    try {
      call.handler.onEnd(end);
    } catch (err) {
      this.counters.handlerErrors++;
      this.log.error({ err, callId: call.info.callId }, "call end handler failed");
    }
  }

  private refused(reason: "duplicate" | "full" | "invalid", info: CallInfo): OpenCallResult {
    this.counters.callsRefused++;
    this.log.warn({ callId: info.callId, reason, calls: this.registry.size, maxCalls: this.socket.limits.maxCalls }, "call refused by the link");
    return { ok: false, reason };
  }
}

/**
 * Control that nobody waits on: a call.start (its frames follow it in the
 * queue anyway) and playback progress other than a barge-in's `cleared`.
 * It leaves with the next bundle, at most `gapMs` later. Everything else
 * (command results, call.end, dtmf, cleared, errors) leaves at once.
 */
function ridesNextBundle(message: ControlInput): boolean {
  return message.type === "call.start" || (message.type === "playback.event" && message.event !== "cleared");
}
