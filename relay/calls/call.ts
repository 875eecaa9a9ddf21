/**
 * One call as the relay runs it: the audio stream from mod_audio_stream and
 * the outbound event socket, paired by call UUID in whichever order they
 * come, and the call on the link. If the event socket does not come within
 * `socketWaitMs` of the stream, the call runs audio-only (logged); if the
 * stream does not come within `streamWaitMs` of the socket, or the link is
 * lost past its grace, or the stream dies while the caller is still there,
 * the call takes the fallback: a transfer to FALLBACK_EXTENSION, or a hangup
 * with the reason logged. No caller waits in silence. Everything here is
 * this call's: an exception ends this call, never another.
 */
import type { ControlInput, ControlMessage } from "../../shared/link/index.js";
import type { AudioStream } from "../audio/audio-stream.js";
import type { FreeswitchConfig } from "../config.js";
import { stopStream } from "../esl/commands.js";
import type { OutboundSession } from "../esl/outbound-server.js";
import type { EslEvent } from "../esl/parser.js";
import type { CallHandler, LinkCall } from "../link/link-call.js";
import type { OpenCallResult } from "../link/link-client.js";
import type { Logger } from "../log.js";
import { handOver, runCommand } from "./call-commands.js";
import { callInfoFor, channelEvent } from "./call-events.js";
import { runFallback } from "./call-fallback.js";
import { CallPlayback } from "./call-playback.js";
import type { InboundApi } from "./esl-runner.js";
import type { CallInfo } from "./registry.js";
import type { CallCounters } from "./call-counters.js";
import type { TransferWatch } from "./transfer-watch.js";

/** What a call needs from the relay. */
export interface CallDeps {
  link: { openCall(info: CallInfo, handler: CallHandler): OpenCallResult; readonly isUp: boolean };
  inbound: InboundApi | undefined;
  config: FreeswitchConfig;
  log: Logger;
  counters: CallCounters;
  onCommand?: (name: string, seconds: number, ok: boolean) => void;
  onDone(call: Call): void;
}

const CLOSE_NORMAL = 1000;
const CLOSE_POLICY = 1008;
const CLOSE_TRY_LATER = 1013;
/** A stream that closes while the socket lives: wait this long for the hangup event before calling it lost. */
const STREAM_LOSS_SETTLE_MS = 300;
/** Caller audio kept while waiting for the event socket, per call. */
const MAX_PENDING_AUDIO_BYTES = 10 * 32_000;

/** One call. */
export class Call {
  stream: AudioStream | undefined;
  session: OutboundSession | undefined;
  link: LinkCall | undefined;
  readonly playback: CallPlayback;
  readonly log: Logger;
  /** Set once FreeSWITCH is done with the call here: hung up, transferred, or fallen back. */
  over: string | undefined;
  /** A transfer or hangup the cloud asked for is being run: the cloud's call.end then needs no fallback. */
  handoff: string | undefined;
  hangupCause: string | undefined;
  /** A supervised transfer is ringing: its outcome comes from this call's events. */
  transfer: TransferWatch | undefined;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private waitTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private fellBack = false;
  private finished = false;

  constructor(
    readonly callId: string,
    readonly deps: CallDeps,
  ) {
    this.log = deps.log.child({ callId });
    this.playback = new CallPlayback(deps.config.playbackMode, {
      callId,
      stream: () => this.stream,
      session: () => this.session,
      inbound: deps.inbound,
      log: this.log,
      counters: deps.counters,
      event: (event, extra) => this.send({ type: "playback.event", callId, event, ...extra }),
    });
  }

  /** The stream arrived (first, or after the socket). */
  attachStream(stream: AudioStream): void {
    this.stream = stream;
    stream.owner = { onAudio: (pcm) => this.onCallerAudio(pcm), onClose: (code) => this.guard(() => this.onStreamClosed(code)) };
    if (this.over) {
      stream.close(CLOSE_NORMAL, "call already over");
      return;
    }
    if (this.session || this.deps.config.socketWaitMs === 0) return this.openLink();
    this.waitTimer = setTimeout(() => this.guard(() => this.runAudioOnly()), this.deps.config.socketWaitMs);
  }

  private runAudioOnly(): void {
    this.deps.counters.audioOnly++;
    const why = "no event socket for this call: running it audio-only (no DTMF, hangup cause or file playback; check the dialplan's `socket 127.0.0.1:8022 async full`)";
    this.log.warn({ waitedMs: this.deps.config.socketWaitMs, playbackMode: this.deps.config.playbackMode }, why);
    this.openLink();
  }

  /** The outbound event socket arrived (first, or after the stream). */
  attachSession(session: OutboundSession): void {
    this.session = session;
    session.handler = {
      onEvent: (event) => this.guard(() => this.onEvent(event)),
      onGone: (why) => this.guard(() => this.onSessionGone(why)),
      onClosed: () => this.guard(() => this.maybeDone()),
    };
    if (this.stream && !this.link) return this.openLink();
    if (this.link) return; // audio-only so far: the socket still brings control and events
    const why = `no audio stream within ${this.deps.config.streamWaitMs} ms: is mod_audio_stream loaded and api_on_answer set?`;
    this.waitTimer = setTimeout(() => this.guard(() => this.fallback("no-audio-stream", why)), this.deps.config.streamWaitMs);
  }

  /** The link went down (or was down when the call started): the grace period starts. */
  linkDown(): void {
    if (!this.link || this.over || this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.guard(() => this.fallback("link-lost", `the cloud link was down for ${this.deps.config.linkGraceMs} ms`)), this.deps.config.linkGraceMs);
  }

  linkUp(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /** The relay is stopping. */
  shutdown(): void {
    this.link?.end("relay-shutdown");
    this.finish();
  }

  /** Local fallback, once: transfer to FALLBACK_EXTENSION or hang up, with the reason logged. */
  fallback(reason: string, why: string): void {
    if (this.fellBack || this.over) return;
    if (this.transfer) {
      // Someone may be about to answer: the transfer decides (with the link still down at its end, the target's dialplan keeps the caller).
      this.log.warn({ reason, why }, "fallback held back: a transfer is ringing");
      this.graceTimer = undefined;
      return;
    }
    this.fellBack = true;
    this.over = `fallback:${reason}`;
    this.deps.counters.fallbacks++;
    clearTimeout(this.waitTimer);
    clearTimeout(this.graceTimer);
    this.playback.stop();
    const { fallbackExtension, fallbackContext } = this.deps.config;
    const context = fallbackContext ?? this.session?.info.context ?? this.session?.info.domainName ?? "default";
    this.log.warn({ reason, why, action: fallbackExtension ? `transfer ${fallbackExtension} XML ${context}` : "hangup" }, "call falls back");
    this.link?.end(`fallback-${reason}`.slice(0, 64));
    void runFallback(this, fallbackExtension, context).catch((err: Error) => this.log.error({ err: err.message }, "fallback failed"));
  }

  private openLink(): void {
    clearTimeout(this.waitTimer);
    const target = this.stream?.target;
    const channel = this.session?.info;
    if (!target) return;
    const info = callInfoFor(this.callId, target, channel);
    const handler: CallHandler = {
      onAudio: (frame) => this.playback.push(frame),
      onControl: (message) => this.onControl(message),
      onEnd: (end) => this.guard(() => this.onCloudEnd(end.reason, end.code)),
    };
    const opened = this.deps.link.openCall(info, handler);
    if (!opened.ok) {
      const counters = this.stream?.counters;
      if (counters) counters.streamsRefusedByLink++;
      this.fallback(`link-refused-${opened.reason}`, "the link would not take the call");
      this.stream?.close(opened.reason === "full" ? CLOSE_TRY_LATER : CLOSE_POLICY, `call refused: ${opened.reason}`);
      return;
    }
    this.link = opened.call;
    for (const pcm of this.pending.splice(0)) this.link.sendAudio(pcm);
    this.pendingBytes = 0;
    if (!this.deps.link.isUp) this.linkDown();
  }

  private onCallerAudio(pcm: Uint8Array): void {
    if (this.link) return this.link.sendAudio(pcm);
    if (this.over) return;
    this.pending.push(new Uint8Array(pcm));
    this.pendingBytes += pcm.byteLength;
    while (this.pendingBytes > MAX_PENDING_AUDIO_BYTES && this.pending.length > 1) this.pendingBytes -= (this.pending.shift() as Uint8Array).byteLength;
  }

  private onControl(message: ControlMessage): void {
    switch (message.type) {
      case "playback.clear":
        void this.playback.clear(message.reason);
        return;
      case "playback.mark":
        this.playback.mark(message.mark);
        return;
      case "command":
        void runCommand(this, message);
        return;
      default:
        this.log.debug({ type: message.type }, "control message not for the relay's call side");
    }
  }

  private onEvent(event: EslEvent): void {
    const what = channelEvent(event);
    this.transfer?.onEvent(what);
    switch (what.kind) {
      case "play":
        return this.playback.onPlayEvent(event);
      case "stream-error":
        this.log.warn({ body: what.body }, "mod_audio_stream reported an error");
        if (!this.stream) this.fallback("audio-stream-error", "mod_audio_stream could not connect to the relay");
        return;
      case "stream-disconnect":
        this.log.info("mod_audio_stream disconnected");
        return;
      case "dtmf":
        this.send({ type: "dtmf", callId: this.callId, digit: what.digit, durationMs: what.durationMs });
        return;
      case "hangup":
        this.hangupCause ??= what.cause;
        this.onHangup();
        return;
      case "bridged":
        // Bridged while the AI has the call (an intercept, a transfer whose reply was lost): a person has it now.
        if (!this.transfer && !this.over) this.personTookOver();
        return;
      case "bridge-start":
      case "bridge-end":
      case "other":
        return;
    }
  }

  private personTookOver(): void {
    this.log.warn("the caller was bridged to someone while with the AI: handing the call over, the stream stops");
    void handOver(this, stopStream(this.callId));
    this.link?.end("transferred");
  }

  private onHangup(): void {
    this.over ??= "hangup";
    this.transfer?.cancel();
    clearTimeout(this.settleTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.waitTimer);
    this.playback.stop();
    this.link?.end("hangup", { cause: this.hangupCause });
    this.maybeDone();
  }

  private onSessionGone(why: string): void {
    this.log.debug({ why }, "event socket done");
    this.onHangup();
  }

  private onStreamClosed(code: number): void {
    this.playback.stop();
    if (this.over || !this.session || this.session.closed) {
      // After a transfer the command's result goes first; runCommand ends the call on the link.
      if (this.over !== "transferred") this.link?.end("stream-closed");
      this.log.info({ code, over: this.over }, "audio stream closed");
      clearTimeout(this.waitTimer);
      if (!this.session || this.session.closed) this.onHangup();
      this.maybeDone();
      return;
    }
    // The socket lives: a hangup event is on its way, or the stream died under a live caller.
    this.settleTimer = setTimeout(() => this.guard(() => this.fallback("audio-stream-lost", `the audio stream closed (${code}) while the call was up`)), STREAM_LOSS_SETTLE_MS);
  }

  private onCloudEnd(reason: string, code: string | undefined): void {
    this.link = undefined;
    this.playback.stop();
    // A caller the cloud gave up on (an error, or done without asking for a transfer or hangup) must not be left in silence.
    const abandoned = !this.over && !this.handoff && (code !== undefined || reason === "cloud-error" || this.session !== undefined);
    if (abandoned) this.fallback("cloud-ended", `the cloud ended the call (${code ?? reason})`);
    this.stream?.close(CLOSE_NORMAL, "call ended");
    this.maybeDone();
  }

  /** Sends a control message about this call, if it is live on the link. */
  send(message: ControlInput): void {
    try {
      this.link?.send(message);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, type: message.type }, "control message refused by the codec");
    }
  }

  private maybeDone(): void {
    const streamDone = !this.stream || !this.stream.open;
    const sessionDone = !this.session || this.session.closed;
    if (streamDone && sessionDone) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of [this.waitTimer, this.graceTimer, this.settleTimer]) clearTimeout(t);
    this.playback.stop();
    this.link?.end(this.over ?? "ended");
    this.deps.onDone(this);
  }

  /** Runs `run`; on an exception, logs it and ends this call only. */
  guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.log.error({ err }, "call failed; ending it");
      this.link?.end("relay-error");
      this.stream?.close(1011, "relay error");
      this.session?.close("relay error");
      this.finish();
    }
  }
}
