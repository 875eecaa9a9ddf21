/**
 * Endpointing for the turn-based pipeline: an energy VAD with an adaptive
 * noise floor and hysteresis. It needs no model file (nothing may be
 * downloaded at run time in Workers) and costs a few operations a sample.
 * Speech starts after `startMs` of frames above the threshold and ends after
 * `silenceMs` below it, so a cough or a short pause does not flip it.
 */

export interface VadOptions {
  frameMs?: number;
  /** Speech this long before it counts (default 120 ms). */
  startMs?: number;
  /** Silence this long ends the utterance (default 500 ms, like server VAD's silence_duration_ms). */
  silenceMs?: number;
  /** Frames quieter than this are never speech, dBFS (default -45). */
  minDbfs?: number;
  /** Speech must be this far above the noise floor, dB (default 10). */
  marginDb?: number;
}

export type VadEvent = { type: "speech_start"; atMs: number } | { type: "speech_end"; atMs: number; startedAtMs: number };

export function frameDbfs(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / Math.max(1, to - from));
  return 20 * Math.log10(Math.max(rms, 1) / 32768);
}

export class EnergyVad {
  private readonly frameMs: number;
  private readonly startMs: number;
  private readonly silenceMs: number;
  private readonly minDbfs: number;
  private readonly marginDb: number;
  private noiseDb = -60;
  private aboveMs = 0;
  private belowMs = 0;
  private pending = new Int16Array(0);
  private clockMs = 0;
  private speechStartedAt: number | undefined;

  constructor(
    readonly sampleRate: number,
    options: VadOptions = {},
  ) {
    this.frameMs = options.frameMs ?? 20;
    this.startMs = options.startMs ?? 120;
    this.silenceMs = options.silenceMs ?? 500;
    this.minDbfs = options.minDbfs ?? -45;
    this.marginDb = options.marginDb ?? 10;
  }

  get speaking(): boolean {
    return this.speechStartedAt !== undefined;
  }

  /** Feeds audio (any chunk size); returns the transitions it caused, timed on the audio's own clock. */
  push(samples: Int16Array): VadEvent[] {
    const frame = Math.round((this.sampleRate * this.frameMs) / 1000);
    const all = new Int16Array(this.pending.length + samples.length);
    all.set(this.pending);
    all.set(samples, this.pending.length);
    const events: VadEvent[] = [];
    let at = 0;
    for (; at + frame <= all.length; at += frame) {
      const db = frameDbfs(all, at, at + frame);
      this.clockMs += this.frameMs;
      const loud = db > this.minDbfs && db > this.noiseDb + this.marginDb;
      // The floor follows quiet frames quickly and loud ones very slowly (speech must not raise it).
      this.noiseDb += (db - this.noiseDb) * (loud ? 0.002 : 0.05);
      if (loud) {
        this.aboveMs += this.frameMs;
        this.belowMs = 0;
      } else {
        this.belowMs += this.frameMs;
        if (!this.speaking) this.aboveMs = 0;
      }
      if (!this.speaking && this.aboveMs >= this.startMs) {
        this.speechStartedAt = this.clockMs - this.aboveMs;
        events.push({ type: "speech_start", atMs: this.speechStartedAt });
      } else if (this.speaking && this.belowMs >= this.silenceMs) {
        events.push({ type: "speech_end", atMs: this.clockMs - this.belowMs, startedAtMs: this.speechStartedAt as number });
        this.speechStartedAt = undefined;
        this.aboveMs = 0;
      }
    }
    this.pending = all.slice(at);
    return events;
  }
}
