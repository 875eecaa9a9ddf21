/**
 * The secretary's output on its way to the relay. Upstream calls (caller
 * audio, relay controls) carry it back for free; between them a pump
 * pushes what is due through the hub, and only when no upstream call came
 * lately: each push is one request to the hub (PLATFORM.md's per-object
 * budget), so pushes are counted.
 */
import type { HandoffObserver } from "../handoff/session-handoff.js";
import type { AgentPlayback } from "./agent-playback.js";
import type { SecretaryOutput } from "./secretary.js";

export class OutputPump {
  /** Output pushed through the hub rather than returned on an upstream call. */
  pushes = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastReturnAt = 0;

  constructor(
    private readonly playback: AgentPlayback,
    private readonly handoff: HandoffObserver | undefined,
    private readonly send: (out: SecretaryOutput) => void,
    private readonly everyMs = 40,
  ) {}

  /** What is due at `nowMs`. */
  take(nowMs: number): SecretaryOutput {
    const audio = this.playback.take(nowMs);
    // A line's mark must follow its audio (controls go before frames): only once nothing is left to send.
    const controls = this.handoff?.controlsDue(audio.length === 0 && this.playback.queuedMs === 0) ?? [];
    return { audio, controls };
  }

  /** An upstream call at `nowMs` carries the output back. */
  returning(nowMs: number): void {
    this.lastReturnAt = nowMs;
  }

  /** Out-of-band output, counted. */
  push(out: SecretaryOutput): void {
    this.pushes++;
    this.send(out);
  }

  /** Runs `tick` every `everyMs` until `stop`. */
  start(tick: () => void): void {
    this.timer = setInterval(tick, this.everyMs);
  }

  /** Pushes what is due at `nowMs`, unless an upstream call came lately. */
  pushDue(nowMs: number): void {
    if (nowMs - this.lastReturnAt < this.everyMs) return;
    const out = this.take(nowMs);
    if (out.audio.length > 0 || out.controls.length > 0) this.push(out);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
