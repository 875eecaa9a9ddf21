import { describe, expect, it } from "vitest";
import { concatPcm16 } from "./pcm16.js";
import { EnergyVad, type VadEvent } from "./vad.js";
import { sine } from "./dsp-test-signals.js";

const silence = (s: number) => new Int16Array(Math.round(16000 * s));
const noise = (s: number, amp: number) => Int16Array.from({ length: Math.round(16000 * s) }, (_, i) => Math.round(amp * 32767 * Math.sin(i * 12.9898) * Math.cos(i * 78.233)));

function run(vad: EnergyVad, x: Int16Array, chunk = 320): VadEvent[] {
  const events: VadEvent[] = [];
  for (let i = 0; i < x.length; i += chunk) events.push(...vad.push(x.subarray(i, i + chunk)));
  return events;
}

describe("EnergyVad", () => {
  it("finds one utterance in silence, with start and end on the audio's clock", () => {
    const x = concatPcm16([silence(0.5), sine(300, 16000, 1.0, 0.3), silence(1)]);
    const events = run(new EnergyVad(16000), x);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
    expect(events[0]!.atMs).toBeGreaterThanOrEqual(480);
    expect(events[0]!.atMs).toBeLessThanOrEqual(540);
    expect(events[1]!.atMs).toBeGreaterThanOrEqual(1480);
    expect(events[1]!.atMs).toBeLessThanOrEqual(1540);
  });

  it("ignores a short click and bridges a pause shorter than silenceMs", () => {
    const x = concatPcm16([silence(0.5), sine(300, 16000, 0.06, 0.5), silence(0.5), sine(300, 16000, 0.5, 0.3), silence(0.3), sine(300, 16000, 0.5, 0.3), silence(1)]);
    expect(run(new EnergyVad(16000), x).map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
  });

  it("adapts to steady line noise and still hears speech over it", () => {
    const x = concatPcm16([noise(1.5, 0.01), sine(300, 16000, 0.8, 0.3), noise(1, 0.01)]);
    const events = run(new EnergyVad(16000), x, 137);
    expect(events.map((e) => e.type)).toEqual(["speech_start", "speech_end"]);
  });
});
