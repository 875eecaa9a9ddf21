/**
 * Barge-in: the caller talks over the agent. The first half is at once:
 * what was not sent is dropped, and the relay is told to clear its playback
 * (pushed, not waiting for the next upstream call). In the second half the
 * provider learns how much of its answer the caller heard. The relay's
 * `playback.event` "cleared" carries `playedMs` (audio it actually played,
 * call-wide); when it does not come within `waitMs` (an older relay,
 * nothing was playing) our own accounting of what was sent stands in.
 */
import { EnergyVad } from "../../shared/audio/vad.js";
import type { AgentPlayback } from "./agent-playback.js";
import type { SecretaryOutput } from "./secretary.js";

export interface BargeInReport {
  responseId: string;
  playedMs: number;
  source: "relay" | "estimate";
}

/** The second half of one barge-in: the relay's playedMs, or our estimate after `waitMs`. */
export class PendingTruncation {
  readonly reports: BargeInReport[] = [];
  private pending: { responseId: string; estimateMs: number; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly waitMs: number,
    /** Milliseconds of `responseId` heard, from the relay's call-wide playedMs. */
    private readonly playedOf: (responseId: string, relayPlayedMs: number) => number | undefined,
    private readonly truncate: (report: BargeInReport) => void,
  ) {}

  begin(responseId: string, estimateMs: number): void {
    this.cancel();
    this.pending = { responseId, estimateMs, timer: setTimeout(() => this.complete(undefined), this.waitMs) };
  }

  /** The relay's `playback.event` "cleared". */
  relayCleared(playedMs: number | undefined): void {
    if (playedMs !== undefined) this.complete(playedMs);
  }

  cancel(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private complete(relayPlayedMs: number | undefined): void {
    const p = this.pending;
    if (!p) return;
    this.cancel();
    const fromRelay = relayPlayedMs === undefined ? undefined : this.playedOf(p.responseId, relayPlayedMs);
    const report: BargeInReport = { responseId: p.responseId, playedMs: Math.round(fromRelay ?? p.estimateMs), source: fromRelay === undefined ? "estimate" : "relay" };
    this.reports.push(report);
    this.truncate(report);
  }
}

/** The barge-ins of one call: the clear at the relay, then the truncation. */
export class BargeIn {
  private readonly vad: EnergyVad;
  private readonly truncation: PendingTruncation;
  private readonly interrupted = new Set<string>();

  constructor(
    private readonly callId: string,
    private readonly playback: AgentPlayback,
    private readonly push: (out: SecretaryOutput) => void,
    waitMs: number,
    truncate: (report: BargeInReport) => void,
  ) {
    this.vad = new EnergyVad(playback.call.sampleRate);
    this.truncation = new PendingTruncation(waitMs, (id, ms) => playback.playedOf(id, ms), truncate);
  }

  get reports(): BargeInReport[] {
    return this.truncation.reports;
  }

  /** Our own ears, for vendors that only signal barge-in while generating: did the caller start speaking over the agent? */
  heard(samples: Int16Array, nowMs: number): boolean {
    const started = this.vad.push(samples).some((e) => e.type === "speech_start");
    return started && this.playback.speaking(nowMs);
  }

  /** Clears the agent's playback; returns the response cut short (undefined when none was sent). */
  start(nowMs: number): string | undefined {
    const { responseId, estimatedPlayedMs } = this.playback.clear(nowMs);
    this.push({ audio: [], controls: [{ type: "playback.clear", callId: this.callId, reason: "barge-in" }] });
    if (responseId) {
      this.interrupted.add(responseId);
      this.truncation.begin(responseId, estimatedPlayedMs);
    }
    return responseId;
  }

  /** A response the caller talked over may still be streaming until the provider cancels it. */
  wasInterrupted(responseId: string): boolean {
    return this.interrupted.has(responseId);
  }

  /** The relay's `playback.event` "cleared". */
  relayCleared(playedMs: number | undefined): void {
    this.truncation.relayCleared(playedMs);
  }

  cancel(): void {
    this.truncation.cancel();
  }
}
