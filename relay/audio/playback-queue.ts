/**
 * Agent audio waiting to go to mod_audio_stream for one call, and the text
 * message that carries it ("stream" playback: the module accepts base64 raw
 * PCM16LE at 8000 or 16000 Hz; other rates it writes as files that play as
 * noise, see shared/FREESWITCH.md). Pure: the audio server decides when to
 * take. `playback.clear` (barge-in) empties what has not been taken yet.
 */
import { Encoding, type AudioFrame } from "../../shared/link/index.js";

/** Rates the module plays correctly. */
export type PlaybackRate = 8000 | 16000;

/** One chunk to send to the module. */
export interface PlaybackChunk {
  sampleRate: PlaybackRate;
  pcm: Buffer;
}

/** Why a down frame cannot be played. */
export type PlaybackRefusal = "encoding" | "sample-rate";

/** Agent audio waiting to be sent to the module, coalesced per rate. */
export class PlaybackQueue {
  private chunks: PlaybackChunk[] = [];
  private bytes = 0;

  /** @param maxChunkBytes largest chunk {@link take} returns (frames are never split). */
  constructor(private readonly maxChunkBytes = 64_000) {}

  get queuedBytes(): number {
    return this.bytes;
  }

  /** Queues a down frame (copied: the frame's payload is a view into a link message). */
  push(frame: AudioFrame): PlaybackRefusal | undefined {
    if (frame.encoding !== Encoding.L16) return "encoding";
    if (frame.sampleRate !== 8000 && frame.sampleRate !== 16000) return "sample-rate";
    this.chunks.push({ sampleRate: frame.sampleRate, pcm: Buffer.from(frame.payload) });
    this.bytes += frame.payload.byteLength;
    return undefined;
  }

  /**
   * The next chunk: consecutive frames of one rate joined up to
   * `maxChunkBytes`, since the community module writes one file per message.
   */
  take(): PlaybackChunk | undefined {
    const first = this.chunks[0];
    if (!first) return undefined;
    let n = 1;
    let size = first.pcm.byteLength;
    for (; n < this.chunks.length; n++) {
      const next = this.chunks[n] as PlaybackChunk;
      if (next.sampleRate !== first.sampleRate || size + next.pcm.byteLength > this.maxChunkBytes) break;
      size += next.pcm.byteLength;
    }
    const taken = this.chunks.splice(0, n);
    this.bytes -= size;
    return { sampleRate: first.sampleRate, pcm: n === 1 ? first.pcm : Buffer.concat(taken.map((c) => c.pcm), size) };
  }

  /** Drops everything not yet taken; returns the bytes dropped. */
  clear(): number {
    const dropped = this.bytes;
    this.chunks = [];
    this.bytes = 0;
    return dropped;
  }
}

/** The JSON text mod_audio_stream plays: `{"type":"streamAudio","data":{...}}`. */
export function streamAudioMessage(chunk: PlaybackChunk): string {
  // Built by hand: JSON.stringify would scan the long base64 text for characters to escape, and base64 has none.
  return `{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":${chunk.sampleRate},"audioData":"${chunk.pcm.toString("base64")}"}}`;
}
