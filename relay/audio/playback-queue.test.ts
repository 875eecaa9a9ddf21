import { describe, expect, it } from "vitest";
import { Direction, Encoding, type AudioFrame } from "../../shared/link/index.js";
import { PlaybackQueue, streamAudioMessage } from "./playback-queue.js";

const bytes = (...values: number[]) => Uint8Array.from(values);
const down = (payload: Uint8Array, sampleRate = 16000, encoding: number = Encoding.L16): AudioFrame =>
  ({ slot: 0, direction: Direction.Down, encoding, sampleRate, seq: 0, timestampMs: 0, payload }) as AudioFrame;

describe("PlaybackQueue", () => {
  it("joins consecutive frames of one rate, up to the chunk size", () => {
    const q = new PlaybackQueue(6);
    q.push(down(bytes(1, 2)));
    q.push(down(bytes(3, 4)));
    q.push(down(bytes(5, 6, 7, 8)));
    q.push(down(bytes(9, 10), 8000));
    expect(q.queuedBytes).toBe(10);
    expect(q.take()).toEqual({ sampleRate: 16000, pcm: Buffer.from([1, 2, 3, 4]) });
    expect(q.take()).toEqual({ sampleRate: 16000, pcm: Buffer.from([5, 6, 7, 8]) });
    expect(q.take()).toEqual({ sampleRate: 8000, pcm: Buffer.from([9, 10]) });
    expect(q.take()).toBeUndefined();
    expect(q.queuedBytes).toBe(0);
  });

  it("copies payloads (they are views into a link message)", () => {
    const q = new PlaybackQueue();
    const payload = bytes(1, 2);
    q.push(down(payload));
    payload[0] = 99;
    expect(q.take()?.pcm[0]).toBe(1);
  });

  it("refuses what the module cannot play", () => {
    const q = new PlaybackQueue();
    expect(q.push(down(bytes(1, 2), 24000))).toBe("sample-rate");
    expect(q.push(down(bytes(1, 2), 8000, Encoding.PCMU))).toBe("encoding");
    expect(q.queuedBytes).toBe(0);
  });

  it("clears everything not yet taken", () => {
    const q = new PlaybackQueue();
    q.push(down(bytes(1, 2)));
    q.push(down(bytes(3, 4)));
    expect(q.clear()).toBe(4);
    expect(q.take()).toBeUndefined();
  });

  it("writes the module's streamAudio message", () => {
    expect(JSON.parse(streamAudioMessage({ sampleRate: 8000, pcm: Buffer.from([1, 2, 3, 4]) }))).toEqual({
      type: "streamAudio",
      data: { audioDataType: "raw", sampleRate: 8000, audioData: "AQIDBA==" },
    });
  });

  it("writes the same text JSON.stringify would (it is built by hand for speed)", () => {
    for (const [sampleRate, pcm] of [[8000, Buffer.alloc(0)], [16000, Buffer.from(Array.from({ length: 641 }, (_, i) => (i * 37) & 0xff))]] as const) {
      const expected = JSON.stringify({ type: "streamAudio", data: { audioDataType: "raw", sampleRate, audioData: pcm.toString("base64") } });
      expect(streamAudioMessage({ sampleRate, pcm })).toBe(expected);
    }
  });
});
