/**
 * Agent audio into one call. Down frames go into a {@link PlaybackSchedule}
 * and leave for mod_audio_stream as `streamAudio` when due. In `file` mode
 * the module writes each message to a file and fires `mod_audio_stream::play`;
 * {@link CallPlayback.onPlayEvent} then queues that file on the call's
 * outbound socket (`sendmsg playback`, event-lock), so files play in order.
 * Barge-in ({@link CallPlayback.clear}) drops what has not been sent,
 * sends `uuid_break <uuid> all` at once (on the call's own socket, so it
 * never waits behind another call's command), and ignores the `::play` events of
 * messages the module had already taken.
 */
import { performance } from "node:perf_hooks";
import type { AudioFrame } from "../../shared/link/index.js";
import type { AudioStream } from "../audio/audio-stream.js";
import { PlaybackSchedule } from "../audio/playback-schedule.js";
import type { PlaybackMode } from "../config.js";
import { breakAll } from "../esl/commands.js";
import type { OutboundSession } from "../esl/outbound-server.js";
import type { EslEvent } from "../esl/parser.js";
import { isPlayableFile, playbackMessage } from "../esl/wire.js";
import type { Logger } from "../log.js";
import { runApiOnCall, type InboundApi } from "./esl-runner.js";

/** What playback needs from its call. */
export interface PlaybackPort {
  readonly callId: string;
  stream(): AudioStream | undefined;
  session(): OutboundSession | undefined;
  inbound: InboundApi | undefined;
  log: Logger;
  /** playback.event up the link. */
  event(event: "started" | "finished" | "cleared" | "mark", extra?: { mark?: string; playedMs?: number }): void;
  counters: { bargeIns: number; filesQueued: number; playEventsIgnored: number; breakFailures: number };
}

const RETRY_MS = 20;

/** Playback of one call. */
export class CallPlayback {
  private readonly schedule: PlaybackSchedule;
  private timer: NodeJS.Timeout | undefined;
  /** When {@link timer} fires (performance.now() time). */
  private timerAt = 0;
  private finishTimer: NodeJS.Timeout | undefined;
  private speaking = false;
  /**
   * Agent audio received from the cloud this call, ms. The cloud counts the
   * audio it sent the same way, so `playedMs` (this minus what has not been
   * heard yet) lines up with its offsets, across earlier barge-ins too.
   */
  private receivedMs = 0;
  /** streamAudio messages sent, and ::play events seen, for matching after a clear. */
  private sent = 0;
  private plays = 0;
  private ignoreUntil = 0;
  private stopped = false;

  constructor(
    readonly mode: PlaybackMode,
    private readonly port: PlaybackPort,
  ) {
    this.schedule = new PlaybackSchedule(mode);
  }

  /** Agent audio waiting in the relay (for /metrics). */
  get queuedBytes(): number {
    return this.schedule.queuedBytes;
  }

  /** Agent audio from the link. */
  push(frame: AudioFrame): void {
    if (this.stopped) return;
    const refused = this.schedule.push(frame, performance.now());
    if (!refused) this.receivedMs += (frame.payload.byteLength / 2 / frame.sampleRate) * 1000;
    if (refused) {
      const counters = this.port.stream()?.counters;
      if (counters) counters.playbackFramesRefused++;
      return;
    }
    this.drain();
  }

  /** Barge-in. Resolves when FreeSWITCH answered the uuid_break (the drop itself is immediate). */
  async clear(reason: string | undefined): Promise<void> {
    const now = performance.now();
    // Heard so far: everything received, less what was still queued here or still ahead in FreeSWITCH.
    const playedMs = Math.max(0, this.receivedMs - this.schedule.queuedMs - Math.max(0, this.schedule.playingUntil - now));
    const dropped = this.schedule.clear();
    clearTimeout(this.timer);
    clearTimeout(this.finishTimer);
    this.timer = undefined;
    const counters = this.port.stream()?.counters;
    if (counters) counters.playbackBytesCleared += dropped;
    this.port.counters.bargeIns++;
    // Messages the module already took still become files: their ::play must not start them.
    this.ignoreUntil = this.sent;
    const wasSpeaking = this.speaking;
    this.speaking = false;
    const breaking = runApiOnCall(breakAll(this.port.callId), this.port.inbound, this.port.session()).catch((err: Error) => {
      this.port.counters.breakFailures++;
      this.port.log.warn({ err: err.message }, "uuid_break failed");
      return "";
    });
    if (wasSpeaking || dropped > 0) this.port.event("cleared", { playedMs: Math.round(playedMs) });
    this.port.log.debug({ droppedBytes: dropped, reason }, "playback cleared");
    await breaking;
  }

  /** A `mod_audio_stream::play` event from the call's outbound socket. */
  onPlayEvent(event: EslEvent): void {
    if (this.mode !== "file" || this.stopped) return;
    const n = ++this.plays;
    if (n <= this.ignoreUntil) {
      this.port.counters.playEventsIgnored++;
      return;
    }
    let file: unknown;
    try {
      file = (JSON.parse(event.body ?? "") as { file?: unknown }).file;
    } catch {
      file = undefined;
    }
    if (typeof file !== "string" || !isPlayableFile(file)) {
      this.port.log.warn({ body: (event.body ?? "").slice(0, 200) }, "mod_audio_stream::play without a file the relay plays; skipped");
      return;
    }
    const session = this.port.session();
    if (!session || session.closed) {
      this.port.log.warn("a playback file is ready but the call has no event socket (is `socket 127.0.0.1:8022 async full` in the dialplan?)");
      return;
    }
    this.port.counters.filesQueued++;
    session.sendmsg(playbackMessage(file)).catch((err: Error) => this.port.log.warn({ err: err.message }, "sendmsg playback failed"));
  }

  /** A playback.mark: reported once the audio queued before it has played. */
  mark(mark: string): void {
    const now = performance.now();
    const at = this.schedule.queuedMs + Math.max(0, this.schedule.playingUntil - now);
    setTimeout(() => {
      if (!this.stopped) this.port.event("mark", { mark });
    }, at).unref();
  }

  /** The call is over: drop everything, stop the timers. */
  stop(): void {
    this.stopped = true;
    this.schedule.clear();
    this.disarm();
    clearTimeout(this.finishTimer);
  }

  private drain(): void {
    const stream = this.port.stream();
    if (!stream?.open) {
      this.schedule.clear();
      this.disarm();
      return;
    }
    const now = performance.now();
    while (stream.writable) {
      const chunk = this.schedule.take(now);
      if (!chunk) break;
      if (!this.speaking) {
        this.speaking = true;
        this.port.event("started");
      }
      stream.sendAudio(chunk);
      this.sent++;
    }
    const next = stream.writable ? this.schedule.nextCheckAt(now) : now + RETRY_MS;
    if (next !== undefined) this.arm(next, now);
    else {
      this.disarm();
      if (this.speaking) this.watchFinish(now);
    }
  }

  /**
   * The next drain at `at`. A frame arrives every 20 ms per call and each one
   * drains: a timer already due no later is kept rather than cleared and set
   * again (drain with its timer churn was ~2% of the relay's CPU at 400 calls).
   */
  private arm(at: number, now: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.guarded(() => this.drain());
    }, Math.max(1, at - now));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private watchFinish(now: number): void {
    clearTimeout(this.finishTimer);
    this.finishTimer = setTimeout(() => {
      if (this.stopped || this.schedule.queuedBytes > 0 || !this.speaking) return;
      this.speaking = false;
      this.port.event("finished", { playedMs: Math.round(this.receivedMs) });
    }, Math.max(1, this.schedule.playingUntil - now));
  }

  private guarded(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.port.log.error({ err }, "playback failed");
    }
  }
}
