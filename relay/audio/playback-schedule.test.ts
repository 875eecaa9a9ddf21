/** The playback schedule, with a hand-driven clock. */
import { describe, expect, it } from "vitest";
import { Direction, Encoding, type AudioFrame } from "../../shared/link/index.js";
import { PlaybackSchedule } from "./playback-schedule.js";

const frame = (ms: number, rate: 8000 | 16000 = 16000, fill = 1): AudioFrame =>
  ({ slot: 0, direction: Direction.Down, encoding: Encoding.L16, sampleRate: rate, seq: 0, timestampMs: 0, payload: new Uint8Array((ms * rate) / 500).fill(fill) }) as AudioFrame;
const ms = (bytes: number, rate = 16000) => (bytes / 2 / rate) * 1000;

describe("PlaybackSchedule, file mode", () => {
  it("a burst: 120 ms first, then each chunk up to twice the last, capped at 1 s", () => {
    const s = new PlaybackSchedule("file");
    s.push(frame(3000), 0);
    const sizes: number[] = [];
    for (let c = s.take(0); c; c = s.take(0)) sizes.push(ms(c.pcm.byteLength));
    expect(sizes).toEqual([120, 240, 480, 960, 1000]);
    // The tail waits for more audio, and goes once the cloud has been quiet for 60 ms.
    expect(s.nextCheckAt(0)).toBe(60);
    expect(ms(s.take(60)?.pcm.byteLength ?? 0)).toBe(200);
    expect(s.queuedBytes).toBe(0);
  });

  it("waits for more audio while the first chunk fills, sends the rest when the cloud goes quiet", () => {
    const s = new PlaybackSchedule("file");
    s.push(frame(40), 0);
    expect(s.take(10)).toBeUndefined();
    expect(s.nextCheckAt(10)).toBe(60);
    expect(ms(s.take(60)?.pcm.byteLength ?? 0)).toBe(40);
  });

  it("sends early rather than let the file playing run out", () => {
    const s = new PlaybackSchedule("file");
    s.push(frame(120), 0);
    expect(ms(s.take(0)?.pcm.byteLength ?? 0)).toBe(120); // plays until 120
    s.push(frame(40), 50);
    expect(s.take(60)).toBeUndefined();
    expect(s.nextCheckAt(60)).toBe(80); // 120 - 40 ms margin
    expect(ms(s.take(80)?.pcm.byteLength ?? 0)).toBe(40);
  });

  it("never mixes rates in a chunk and refuses what the module cannot play", () => {
    const s = new PlaybackSchedule("file");
    s.push(frame(20, 16000), 0);
    s.push(frame(20, 8000), 0);
    expect(s.push({ ...frame(20), encoding: Encoding.PCMU } as AudioFrame, 0)).toBe("encoding");
    expect(s.push({ ...frame(20), sampleRate: 24000 } as AudioFrame, 0)).toBe("sample-rate");
    expect(s.take(100)?.sampleRate).toBe(16000);
    expect(s.take(100)?.sampleRate).toBe(8000);
  });

  it("counts queued audio right across changes of rate, and as they leave", () => {
    const s = new PlaybackSchedule("file");
    for (const [len, rate] of [[200, 16000], [40, 8000], [100, 8000], [60, 16000]] as const) s.push(frame(len, rate), 0);
    expect(s.queuedMs).toBe(400);
    expect(s.take(0)?.pcm.byteLength).toBe((120 * 16000) / 500); // the first chunk: 120 of the 200 ms at 16 kHz
    expect(s.queuedMs).toBe(280);
    const rest = s.take(1000);
    expect(rest?.sampleRate).toBe(16000);
    expect(s.queuedMs).toBe(200);
    expect(s.take(2000)?.pcm.byteLength).toBe((120 * 8000) / 500); // 40 ms and 80 of the 100 at 8 kHz
    expect(s.queuedMs).toBe(80);
    expect(s.take(3000)?.pcm.byteLength).toBe((20 * 8000) / 500);
    expect(s.queuedMs).toBe(60);
    s.push(frame(20, 16000), 3000);
    expect(s.queuedMs).toBe(80);
    expect(s.take(4000)?.pcm.byteLength).toBe((80 * 16000) / 500);
    expect(s.queuedMs).toBe(0);
  });

  it("clear drops everything queued and forgets what was playing", () => {
    const s = new PlaybackSchedule("file");
    s.push(frame(500), 0);
    s.take(0);
    expect(s.playing(10)).toBe(true);
    expect(s.clear()).toBe(((500 - 120) * 16000) / 500);
    expect(s.playing(10)).toBe(false);
    expect(s.nextCheckAt(10)).toBeUndefined();
  });
});

describe("PlaybackSchedule, stream mode", () => {
  it("20 ms at a time, at most 60 ms ahead of real time", () => {
    const s = new PlaybackSchedule("stream");
    s.push(frame(1000), 0);
    let sent = 0;
    for (let c = s.take(0); c; c = s.take(0)) sent += ms(c.pcm.byteLength);
    expect(sent).toBe(80); // 0..80 ms handed over: until - now > 60 stops it
    expect(s.nextCheckAt(0)).toBe(20);
    for (let c = s.take(100); c; c = s.take(100)) sent += ms(c.pcm.byteLength);
    expect(sent).toBe(160); // 100..180: again 60 ms ahead at most
  });

  it("splits a frame on a sample boundary", () => {
    const s = new PlaybackSchedule("stream");
    s.push(frame(30), 0);
    expect(s.take(0)?.pcm.byteLength).toBe(640);
    expect(s.take(0)?.pcm.byteLength).toBe(320);
  });
});
