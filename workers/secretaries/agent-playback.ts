/**
 * Agent audio on its way to the relay: converted from the provider's format
 * to the call's (one place for this direction), cut into playback-sized
 * chunks (100 ms: a 20 ms frame per message would cost the hub five times
 * the messages; PLATFORM.md), and released at most `leadMs` ahead of the
 * play-out clock, so the relay's queue stays short and a barge-in has
 * little to throw away. It also keeps the books the barge-in needs: how
 * much of each answer was sent, and when it will have finished playing.
 * No I/O and no clock of its own: time is passed in.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from "../../shared/audio/g711.js";
import { pcm16FromBytes, pcm16ToBytes } from "../../shared/audio/pcm16.js";
import { Resampler } from "../../shared/audio/resampler.js";
import { Encoding, type SampleRate } from "../../shared/link/index.js";
import type { ProviderAudioFormat } from "../providers/provider.js";
import type { AgentAudio } from "./secretary.js";

export interface CallAudioFormat {
  encoding: Encoding;
  sampleRate: SampleRate;
}

export interface PlaybackOptions {
  chunkMs?: number;
  /** How far ahead of the play-out clock audio is sent (default 400 ms). */
  leadMs?: number;
}

interface Pending {
  responseId: string;
  samples: Int16Array;
}

export interface ResponseBooks {
  /** Audio of the response sent to the relay, ms. */
  sentMs: number;
  /** Audio of earlier responses sent before it, ms (the relay's playedMs counts the whole call). */
  offsetMs: number;
  firstSentAt: number | undefined;
}

/** Caller audio in the call's format -> PCM16 samples. */
export function decodeCallAudio(encoding: Encoding, payload: Uint8Array): Int16Array {
  if (encoding === Encoding.PCMU) return mulawDecode(payload);
  if (encoding === Encoding.PCMA) return alawDecode(payload);
  return pcm16FromBytes(payload);
}

/** PCM16 samples -> bytes in a provider's encoding. */
export function encodeProviderAudio(format: ProviderAudioFormat, samples: Int16Array): Uint8Array {
  if (format.encoding === "pcmu") return mulawEncode(samples);
  if (format.encoding === "pcma") return alawEncode(samples);
  return pcm16ToBytes(samples);
}

export function decodeProviderAudio(format: ProviderAudioFormat, bytes: Uint8Array): Int16Array {
  if (format.encoding === "pcmu") return mulawDecode(bytes);
  if (format.encoding === "pcma") return alawDecode(bytes);
  return pcm16FromBytes(bytes);
}

export class AgentPlayback {
  private readonly chunkSamples: number;
  private readonly leadMs: number;
  private readonly resamplers = new Map<number, Resampler>();
  private queue: Pending[] = [];
  private queuedSamples = 0;
  /** Wall time when everything sent so far will have played. */
  private playsUntil = 0;
  private totalSentMs = 0;
  private timelineMs = 0;
  readonly books = new Map<string, ResponseBooks>();
  /** Set when a response's first chunk leaves (latency accounting). */
  onFirstChunk: ((responseId: string, atMs: number) => void) | undefined;

  constructor(
    readonly call: CallAudioFormat,
    options: PlaybackOptions = {},
  ) {
    this.chunkSamples = Math.round((call.sampleRate * (options.chunkMs ?? 100)) / 1000);
    this.leadMs = options.leadMs ?? 400;
  }

  /** Audio waiting to be sent, ms. */
  get queuedMs(): number {
    return (this.queuedSamples * 1000) / this.call.sampleRate;
  }

  /** Agent audio from the provider. */
  push(format: ProviderAudioFormat, bytes: Uint8Array, responseId: string): void {
    let r = this.resamplers.get(format.sampleRate);
    if (!r) this.resamplers.set(format.sampleRate, (r = new Resampler(format.sampleRate, this.call.sampleRate)));
    const samples = r.process(decodeProviderAudio(format, bytes));
    if (samples.length === 0) return;
    const last = this.queue.at(-1);
    if (last && last.responseId === responseId) {
      const merged = new Int16Array(last.samples.length + samples.length);
      merged.set(last.samples);
      merged.set(samples, last.samples.length);
      last.samples = merged;
    } else {
      this.queue.push({ responseId, samples });
    }
    this.queuedSamples += samples.length;
  }

  /** Chunks due at `nowMs`; `flush` also releases a final chunk shorter than the chunk size. */
  take(nowMs: number, flush = true): AgentAudio[] {
    const out: AgentAudio[] = [];
    if (this.playsUntil < nowMs) this.playsUntil = nowMs;
    while (this.queue.length > 0 && this.playsUntil - nowMs < this.leadMs) {
      const head = this.queue[0] as Pending;
      if (head.samples.length < this.chunkSamples && !flush && this.queue.length === 1) break;
      const n = Math.min(this.chunkSamples, head.samples.length);
      const chunk = head.samples.subarray(0, n);
      head.samples = head.samples.subarray(n);
      if (head.samples.length === 0) this.queue.shift();
      this.queuedSamples -= n;
      const ms = (n * 1000) / this.call.sampleRate;
      let books = this.books.get(head.responseId);
      if (!books) this.books.set(head.responseId, (books = { sentMs: 0, offsetMs: this.totalSentMs, firstSentAt: undefined }));
      if (books.firstSentAt === undefined) {
        books.firstSentAt = nowMs;
        this.onFirstChunk?.(head.responseId, nowMs);
      }
      books.sentMs += ms;
      this.totalSentMs += ms;
      this.playsUntil += ms;
      out.push({ encoding: this.call.encoding, sampleRate: this.call.sampleRate, timestampMs: Math.round(this.timelineMs) >>> 0, payload: this.encode(chunk) });
      this.timelineMs += ms;
    }
    return out;
  }

  /**
   * Barge-in: drops what was not sent and says what of the playing response
   * was heard by our own accounting (sent, less what is still ahead of the
   * play-out clock). The relay's playedMs, when it comes, is better.
   */
  clear(nowMs: number): { responseId: string | undefined; estimatedPlayedMs: number } {
    const playing = this.lastSentResponse();
    this.queue = [];
    this.queuedSamples = 0;
    for (const r of this.resamplers.values()) r.reset();
    const unplayed = Math.max(0, this.playsUntil - nowMs);
    this.playsUntil = nowMs;
    this.totalSentMs -= unplayed; // the relay will never play it: keep offsets in step with its playedMs
    if (!playing) return { responseId: undefined, estimatedPlayedMs: 0 };
    const books = this.books.get(playing) as ResponseBooks;
    books.sentMs = Math.max(0, books.sentMs - unplayed);
    return { responseId: playing, estimatedPlayedMs: books.sentMs };
  }

  /** Milliseconds of `responseId` heard, from the relay's call-wide playedMs. */
  playedOf(responseId: string, relayPlayedMs: number): number | undefined {
    const b = this.books.get(responseId);
    if (!b) return undefined;
    return Math.max(0, relayPlayedMs - b.offsetMs);
  }

  /** Is the agent audible now (audio sent and not yet played, or waiting)? */
  speaking(nowMs: number): boolean {
    return this.queue.length > 0 || this.playsUntil > nowMs;
  }

  private lastSentResponse(): string | undefined {
    let last: string | undefined;
    let at = -1;
    for (const [id, b] of this.books) {
      if (b.firstSentAt !== undefined && b.firstSentAt >= at) {
        at = b.firstSentAt;
        last = id;
      }
    }
    return last;
  }

  private encode(chunk: Int16Array): Uint8Array {
    if (this.call.encoding === Encoding.PCMU) return mulawEncode(chunk);
    if (this.call.encoding === Encoding.PCMA) return alawEncode(chunk);
    return pcm16ToBytes(chunk);
  }
}
