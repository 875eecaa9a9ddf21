import { describe, expect, it } from "vitest";
import { Encoding } from "../../shared/link/index.js";
import type { UpFrame } from "../downlink.js";
import { EchoSecretary, frameDurationMs, MAX_ECHO_DELAY_MS, resolveEchoDelayMs } from "./echo.js";

/** A 20 ms 16 kHz PCM16 frame whose first byte is its seq. */
function frame(seq: number, bytes = 640): UpFrame {
  const payload = new Uint8Array(bytes);
  payload[0] = seq & 0xff;
  return { seq, timestampMs: seq * 20, encoding: Encoding.L16, sampleRate: 16000, payload };
}
const firstBytes = (out: { audio: { payload: Uint8Array }[] }) => out.audio.map((a) => a.payload[0]);

describe("EchoSecretary", () => {
  it("with no delay returns each frame at once, payload untouched, same encoding and rate", () => {
    const echo = new EchoSecretary({ delayMs: 0 });
    const input = [frame(1), frame(2)];
    const out = echo.audio(input, 1000);
    expect(out.audio).toHaveLength(2);
    expect(out.audio[0]?.payload).toBe(input[0]?.payload);
    expect(out.audio[1]).toMatchObject({ encoding: Encoding.L16, sampleRate: 16000, timestampMs: 40 });
    expect(out.controls).toEqual([]);
  });

  it("holds frames until their due time and releases them oldest first", () => {
    const echo = new EchoSecretary({ delayMs: 100 });
    expect(echo.audio([frame(1), frame(2)], 0).audio).toEqual([]);
    expect(echo.audio([frame(3)], 60).audio).toEqual([]);
    expect(firstBytes(echo.audio([frame(4)], 100))).toEqual([1, 2]);
    expect(firstBytes(echo.takeDue(159))).toEqual([]);
    expect(firstBytes(echo.takeDue(160))).toEqual([3]);
    expect(echo.queuedFrames).toBe(1);
  });

  it("shifts timestamps by the delay, wrapping like the wire's u32", () => {
    const echo = new EchoSecretary({ delayMs: 50 });
    const f = { ...frame(1), timestampMs: 0xffff_fff0 };
    const out = echo.audio([f], 0);
    expect(out.audio).toEqual([]);
    expect(echo.takeDue(50).audio[0]?.timestampMs).toBe((0xffff_fff0 + 50) % 2 ** 32);
  });

  it("keeps at most maxQueuedMs of audio, dropping the oldest", () => {
    const echo = new EchoSecretary({ delayMs: 1000, maxQueuedMs: 100 });
    echo.audio([1, 2, 3, 4, 5, 6, 7].map((s) => frame(s)), 0); // 140 ms of 20 ms frames
    expect(echo.queuedFrames).toBe(5);
    expect(echo.dropped).toBe(2);
    expect(firstBytes(echo.takeDue(1000))).toEqual([3, 4, 5, 6, 7]);
  });

  it("end() empties the queue", () => {
    const echo = new EchoSecretary({ delayMs: 10 });
    echo.audio([frame(1)], 0);
    echo.end();
    expect(echo.takeDue(1000).audio).toEqual([]);
  });

  it("rejects a negative delay", () => {
    expect(() => new EchoSecretary({ delayMs: -1 })).toThrow(RangeError);
  });
});

describe("frameDurationMs", () => {
  it("knows PCM16 is two bytes a sample and G.711 one", () => {
    expect(frameDurationMs(Encoding.L16, 16000, 640)).toBe(20);
    expect(frameDurationMs(Encoding.PCMU, 8000, 160)).toBe(20);
    expect(frameDurationMs(Encoding.PCMA, 8000, 80)).toBe(10);
  });
});

describe("resolveEchoDelayMs", () => {
  it("takes the channel variable over the Worker's default", () => {
    expect(resolveEchoDelayMs("200", "40")).toEqual({ delayMs: 40 });
    expect(resolveEchoDelayMs("200", undefined)).toEqual({ delayMs: 200 });
    expect(resolveEchoDelayMs(undefined, undefined)).toEqual({ delayMs: 0 });
  });

  it("ignores values that are not whole milliseconds within bounds, and says which", () => {
    expect(resolveEchoDelayMs("200", "-5")).toEqual({ delayMs: 200, ignored: "echo_delay_ms=-5" });
    expect(resolveEchoDelayMs("200", "1e3")).toMatchObject({ delayMs: 200 });
    expect(resolveEchoDelayMs("200", String(MAX_ECHO_DELAY_MS + 1))).toMatchObject({ delayMs: 200 });
    expect(resolveEchoDelayMs("lots", undefined)).toEqual({ delayMs: 0, ignored: "ECHO_DELAY_MS=lots" });
  });
});
