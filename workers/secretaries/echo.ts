/**
 * The diagnostic echo secretary, like FreeSWITCH's echo test: the caller's
 * audio comes back after a fixed delay, payload bytes unchanged, same
 * encoding and rate. It proves the whole audio path (relay, link, hub,
 * session, and back) without any provider.
 *
 * Frames wait in a queue until due and leave on the next call whose time has
 * reached them; the queue holds at most `maxQueuedMs` of audio and drops the
 * oldest beyond that, so a stalled downlink cannot grow memory without end.
 */
import { Encoding } from "../../shared/link/index.js";
import type { UpFrame } from "../downlink.js";
import { noOutput, type AgentAudio, type Secretary, type SecretaryOutput } from "./secretary.js";

export interface EchoOptions {
  /** How long each frame waits before it is played back, ms. */
  delayMs: number;
  /** Most audio held waiting, ms (default 10 s). */
  maxQueuedMs?: number;
}

export const DEFAULT_ECHO_MAX_QUEUED_MS = 10_000;
/** Longest delay a call may ask for (`echo_delay_ms`); beyond it the queue bound would eat the audio. */
export const MAX_ECHO_DELAY_MS = 5_000;

interface Queued {
  dueAtMs: number;
  durationMs: number;
  audio: AgentAudio;
}

/** Duration of a frame's payload, ms. */
export function frameDurationMs(encoding: Encoding, sampleRate: number, payloadBytes: number): number {
  const samples = encoding === Encoding.L16 ? payloadBytes / 2 : payloadBytes;
  return (samples * 1000) / sampleRate;
}

export class EchoSecretary implements Secretary {
  readonly delayMs: number;
  readonly maxQueuedMs: number;
  private queue: Queued[] = [];
  private queuedMs = 0;
  /** Frames dropped because the queue was full. */
  dropped = 0;

  constructor(options: EchoOptions) {
    if (!Number.isFinite(options.delayMs) || options.delayMs < 0) throw new RangeError(`echo delay must be >= 0, got ${options.delayMs}`);
    this.delayMs = options.delayMs;
    this.maxQueuedMs = options.maxQueuedMs ?? DEFAULT_ECHO_MAX_QUEUED_MS;
  }

  /** Frames waiting to be played back. */
  get queuedFrames(): number {
    return this.queue.length;
  }

  audio(frames: readonly UpFrame[], nowMs: number): SecretaryOutput {
    for (const f of frames) {
      const durationMs = frameDurationMs(f.encoding, f.sampleRate, f.payload.byteLength);
      this.queue.push({
        dueAtMs: nowMs + this.delayMs,
        durationMs,
        audio: {
          encoding: f.encoding,
          sampleRate: f.sampleRate,
          // Played `delayMs` later on the call's own time line; wraps like the wire field.
          timestampMs: (f.timestampMs + this.delayMs) >>> 0,
          payload: f.payload,
        },
      });
      this.queuedMs += durationMs;
    }
    this.trim();
    return this.takeDue(nowMs);
  }

  control(_message: unknown, nowMs: number): SecretaryOutput {
    return this.takeDue(nowMs);
  }

  end(): void {
    this.queue = [];
    this.queuedMs = 0;
  }

  /** Everything due at `nowMs`, oldest first. */
  takeDue(nowMs: number): SecretaryOutput {
    let n = 0;
    while (n < this.queue.length && (this.queue[n] as Queued).dueAtMs <= nowMs) n++;
    if (n === 0) return noOutput();
    const due = this.queue.splice(0, n);
    for (const q of due) this.queuedMs -= q.durationMs;
    if (this.queue.length === 0) this.queuedMs = 0; // no float drift left behind
    return { audio: due.map((q) => q.audio), controls: [] };
  }

  private trim(): void {
    let n = 0;
    // Keep at least the newest frame, however long it is.
    while (this.queuedMs > this.maxQueuedMs && n < this.queue.length - 1) {
      this.queuedMs -= (this.queue[n] as Queued).durationMs;
      n++;
    }
    if (n > 0) {
      this.queue.splice(0, n);
      this.dropped += n;
    }
  }
}

/**
 * The echo delay for one call: the `echo_delay_ms` channel variable when it
 * is a whole number within bounds, else the Worker's ECHO_DELAY_MS, else 0.
 * Returns why a value was ignored, for the log.
 */
export function resolveEchoDelayMs(envValue: string | undefined, variable: string | undefined): { delayMs: number; ignored?: string } {
  const parse = (v: string | undefined): number | undefined => {
    if (v === undefined || !/^\d{1,6}$/.test(v.trim())) return undefined;
    const n = Number(v.trim());
    return n <= MAX_ECHO_DELAY_MS ? n : undefined;
  };
  const fromEnv = parse(envValue);
  const base = fromEnv ?? 0;
  const envNote = envValue !== undefined && envValue !== "" && fromEnv === undefined ? `ECHO_DELAY_MS=${envValue}` : undefined;
  if (variable === undefined) return envNote ? { delayMs: base, ignored: envNote } : { delayMs: base };
  const fromVar = parse(variable);
  if (fromVar === undefined) return { delayMs: base, ignored: `echo_delay_ms=${variable}` };
  return { delayMs: fromVar };
}
