import { describe, expect, it } from "vitest";
import { pcm16ToBytes } from "../../shared/audio/pcm16.js";
import { Encoding } from "../../shared/link/index.js";
import { AgentPlayback } from "./agent-playback.js";

const pcm24k = (ms: number) => pcm16ToBytes(Int16Array.from({ length: 24 * ms }, (_, i) => Math.round(8000 * Math.sin(i / 5))));
const FORMAT = { encoding: "pcm16" as const, sampleRate: 24000 };

describe("AgentPlayback", () => {
  it("sends 100 ms chunks in the call's format, at most leadMs ahead of the play-out clock", () => {
    const p = new AgentPlayback({ encoding: Encoding.L16, sampleRate: 16000 }, { leadMs: 400 });
    p.push(FORMAT, pcm24k(2000), "r1");
    const first = p.take(0);
    expect(first).toHaveLength(4); // 400 ms of lead
    expect(first.every((c) => c.payload.byteLength === 3200 && c.sampleRate === 16000)).toBe(true);
    expect(first.map((c) => c.timestampMs)).toEqual([0, 100, 200, 300]);
    expect(p.take(50)).toHaveLength(1); // keeps 400 ms ahead
    expect(p.take(100)).toHaveLength(0);
    expect(p.take(1000)).toHaveLength(4); // the clock ran dry at 500 ms: 400 ms ahead of 1000 again
  });

  it("encodes G.711 calls one byte a sample", () => {
    const p = new AgentPlayback({ encoding: Encoding.PCMU, sampleRate: 8000 });
    p.push(FORMAT, pcm24k(200), "r1");
    expect(p.take(0).map((c) => c.payload.byteLength)).toEqual([800, 800]);
  });

  it("clear drops what was not sent and estimates what was heard; the relay's playedMs is mapped to the response", () => {
    const p = new AgentPlayback({ encoding: Encoding.L16, sampleRate: 16000 }, { leadMs: 400 });
    p.push(FORMAT, pcm24k(500), "greeting");
    p.take(0);
    p.take(200); // the greeting's 500 ms are all sent by now
    p.push(FORMAT, pcm24k(3000), "answer");
    p.take(600);
    p.take(1000); // the answer's first chunks
    const { responseId, estimatedPlayedMs } = p.clear(1200);
    expect(responseId).toBe("answer");
    // The answer started playing at 600 ms (its first chunk went out then): 600 ms heard by 1200.
    expect(estimatedPlayedMs).toBe(600);
    expect(p.queuedMs).toBe(0);
    expect(p.speaking(1200)).toBe(false);
    expect(p.playedOf("answer", 1150)).toBe(650);
  });
});
