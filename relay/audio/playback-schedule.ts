/**
 * When to hand agent audio to mod_audio_stream, for the two playback ways
 * (shared/FREESWITCH.md). Pure: the caller passes the clock and runs the
 * timer at {@link PlaybackSchedule.nextCheckAt}.
 *
 * - `file` (community module): each `streamAudio` message becomes one file
 *   that FreeSWITCH plays after the previous one. A small first chunk
 *   starts the agent speaking fast; then chunks up to twice the last (fewer
 *   files when the cloud sends faster than real time, as TTS does), each
 *   sent before the previous runs out, and whatever is left when the cloud
 *   goes quiet. A cloud that sends in real time (the echo) gets small files:
 *   bigger ones would only add delay.
 * - `stream` (forks that inject audio): 20 ms at a time, paced by the relay
 *   a little ahead of real time, since the module plays what it gets at once.
 */
import { Encoding, type AudioFrame } from "../../shared/link/index.js";
import type { PlaybackChunk, PlaybackRate, PlaybackRefusal } from "./playback-queue.js";

/** Timings of the `file` way, ms of audio or of wall clock. */
export interface FileScheduleOptions {
  /** First chunk after silence: small, so the agent starts speaking fast. */
  firstChunkMs: number;
  /** Later chunks: larger, so FreeSWITCH plays fewer files. */
  chunkMs: number;
  /** Send the next chunk at the latest this long before the current one runs out. */
  marginMs: number;
  /** No new audio for this long: send what is queued (the end of an utterance). */
  quietMs: number;
}

// The margin covers the module writing the file, its ::play event and our sendmsg (a few ms on loopback).
export const DEFAULT_FILE_SCHEDULE: FileScheduleOptions = { firstChunkMs: 120, chunkMs: 1000, marginMs: 40, quietMs: 60 };

/** Frame duration and lead of the `stream` way. */
export interface StreamScheduleOptions {
  frameMs: number;
  /** How far ahead of real time audio may be sent (absorbs timer jitter). */
  leadMs: number;
}

export const DEFAULT_STREAM_SCHEDULE: StreamScheduleOptions = { frameMs: 20, leadMs: 60 };

/** Agent audio waiting for the module, and when the next piece is due. */
export class PlaybackSchedule {
  private parts: { rate: PlaybackRate; pcm: Buffer }[] = [];
  private bytes = 0;
  /** Neighbouring parts of different rates: while 0 (nearly always) every sum over the parts is one division. */
  private rateChanges = 0;
  private lastPushAt = -Infinity;
  /** When what has been handed over will have finished playing (estimate). */
  private until = 0;
  private lastChunkMs = 0;

  constructor(
    readonly mode: "file" | "stream",
    private readonly file: FileScheduleOptions = DEFAULT_FILE_SCHEDULE,
    private readonly stream: StreamScheduleOptions = DEFAULT_STREAM_SCHEDULE,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Milliseconds of audio waiting. */
  get queuedMs(): number {
    const first = this.parts[0];
    if (first && this.rateChanges === 0) return pcmMs(this.bytes, first.rate);
    return this.parts.reduce((ms, p) => ms + pcmMs(p.pcm.byteLength, p.rate), 0);
  }

  /** When the audio handed over so far will have played (estimate, same clock as `now`). */
  get playingUntil(): number {
    return this.until;
  }

  /** True while handed-over audio is (estimated to be) still playing. */
  playing(now: number): boolean {
    return this.until > now;
  }

  /** Queues a down frame (copied). Refuses what the module cannot play. */
  push(frame: AudioFrame, now: number): PlaybackRefusal | undefined {
    if (frame.encoding !== Encoding.L16) return "encoding";
    if (frame.sampleRate !== 8000 && frame.sampleRate !== 16000) return "sample-rate";
    if (frame.payload.byteLength === 0) return undefined;
    const last = this.parts.at(-1);
    if (last && last.rate !== frame.sampleRate) this.rateChanges++;
    this.parts.push({ rate: frame.sampleRate, pcm: Buffer.from(frame.payload) });
    this.bytes += frame.payload.byteLength;
    this.lastPushAt = now;
    return undefined;
  }

  /** The next chunk due at `now`, or undefined. Call until undefined. */
  take(now: number): PlaybackChunk | undefined {
    const first = this.parts[0];
    if (!first) return undefined;
    if (this.until < now) this.until = now;
    if (this.mode === "stream") {
      if (this.until - now > this.stream.leadMs) return undefined;
      return this.cut(this.stream.frameMs);
    }
    const idle = this.until <= now;
    // Each chunk may be twice the last: fast to start, few files once the cloud is ahead of real time.
    const target = idle ? this.file.firstChunkMs : Math.min(this.file.chunkMs, Math.max(this.file.firstChunkMs, this.lastChunkMs * 2));
    const ready = this.sameRateMs() >= target || (!idle && this.until - now <= this.file.marginMs) || now - this.lastPushAt >= this.file.quietMs;
    return ready ? this.cut(target) : undefined;
  }

  /** When {@link take} may next return a chunk (undefined: only after the next push). */
  nextCheckAt(now: number): number | undefined {
    if (this.parts.length === 0) return undefined;
    if (this.mode === "stream") return Math.max(now, this.until - this.stream.leadMs);
    const times = [this.lastPushAt + this.file.quietMs];
    if (this.until > now) times.push(this.until - this.file.marginMs);
    return Math.max(now, Math.min(...times));
  }

  /** Barge-in: drops what was not handed over and forgets what is playing (uuid_break stops it). Returns bytes dropped. */
  clear(): number {
    const dropped = this.bytes;
    this.parts = [];
    this.bytes = 0;
    this.rateChanges = 0;
    this.until = 0;
    return dropped;
  }

  /** Takes up to `ms` of audio of the first part's rate, splitting a frame on a sample boundary if needed. */
  private cut(ms: number): PlaybackChunk {
    const rate = (this.parts[0] as { rate: PlaybackRate }).rate;
    let want = Math.max(2, Math.round((ms * rate) / 1000) * 2);
    const taken: Buffer[] = [];
    while (want > 0 && this.parts[0]?.rate === rate) {
      const part = this.parts[0];
      if (part.pcm.byteLength <= want) {
        taken.push(part.pcm);
        want -= part.pcm.byteLength;
        this.parts.shift();
        if (this.parts[0] && this.parts[0].rate !== part.rate) this.rateChanges--;
      } else {
        const n = want & ~1 || 2;
        taken.push(part.pcm.subarray(0, n));
        part.pcm = part.pcm.subarray(n);
        want = 0;
      }
    }
    const pcm = taken.length === 1 ? (taken[0] as Buffer) : Buffer.concat(taken);
    this.bytes -= pcm.byteLength;
    this.lastChunkMs = pcmMs(pcm.byteLength, rate);
    this.until += this.lastChunkMs;
    return { sampleRate: rate, pcm };
  }

  private sameRateMs(): number {
    const rate = this.parts[0]?.rate;
    if (rate !== undefined && this.rateChanges === 0) return pcmMs(this.bytes, rate);
    let ms = 0;
    for (const p of this.parts) {
      if (p.rate !== rate) break;
      ms += pcmMs(p.pcm.byteLength, p.rate);
    }
    return ms;
  }
}

/** Duration of PCM16 mono at `rate`. */
export function pcmMs(bytes: number, rate: number): number {
  return (bytes / 2 / rate) * 1000;
}
