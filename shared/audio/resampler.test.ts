import { describe, expect, it } from "vitest";
import { concatPcm16 } from "./pcm16.js";
import { Resampler } from "./resampler.js";
import { db, sine, toneAmplitude, trim } from "./dsp-test-signals.js";

const PAIRS: [number, number][] = [
  [8000, 16000],
  [16000, 8000],
  [16000, 24000],
  [24000, 16000],
  [8000, 24000],
  [24000, 8000],
];

describe("Resampler", () => {
  it.each(PAIRS)("%i -> %i: passband tones keep their level (within 0.3 dB) and frequency", (from, to) => {
    for (const f of [300, 1000, 2500, 3300]) {
      const r = new Resampler(from, to);
      const out = trim(r.process(sine(f, from, 0.5)), 200);
      expect(Math.abs(db(toneAmplitude(out, f, to) / 0.5))).toBeLessThan(0.3);
    }
  });

  it.each([
    [16000, 8000, 6000],
    [24000, 16000, 10000],
    [24000, 8000, 9000],
  ])("%i -> %i: a %i Hz tone above the new Nyquist does not alias (>= 60 dB down)", (from, to, f) => {
    const out = trim(new Resampler(from, to).process(sine(f, from, 0.5)), 200);
    const alias = Math.abs(from - f) % to; // where it would fold to
    const folded = Math.min(alias, to - alias);
    expect(db(toneAmplitude(out, folded, to) / 0.5)).toBeLessThan(-60);
    // And nothing else of it survives either.
    let energy = 0;
    for (const v of out) energy += v * v;
    expect(db(Math.sqrt(energy / out.length) / 32767)).toBeLessThan(-55);
  });

  it.each([
    [8000, 16000, 3000],
    [16000, 24000, 7000],
    [8000, 24000, 3000],
  ])("%i -> %i: the image of a %i Hz tone is rejected (>= 60 dB down)", (from, to, f) => {
    const out = trim(new Resampler(from, to).process(sine(f, from, 0.5)), 200);
    expect(db(toneAmplitude(out, from - f, to) / 0.5)).toBeLessThan(-60);
  });

  it.each(PAIRS)("%i -> %i: chunked processing equals one-shot processing sample for sample", (from, to) => {
    const x = concatPcm16([sine(440, from, 0.3, 0.4), sine(1800, from, 0.3, 0.6)]);
    const whole = new Resampler(from, to).process(x);
    const r = new Resampler(from, to);
    const parts: Int16Array[] = [];
    let at = 0;
    let seed = 7;
    while (at < x.length) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 331); // odd sizes, including 1-sample chunks
      parts.push(r.process(x.subarray(at, at + n)));
      at += n;
    }
    expect(Array.from(concatPcm16(parts))).toEqual(Array.from(whole));
    expect(whole.length).toBe(Math.ceil((x.length * to) / from));
  });

  it("has no click at 20 ms chunk edges: the largest sample step stays that of a clean sine", () => {
    const r = new Resampler(16000, 24000);
    const x = sine(1000, 16000, 1, 0.5);
    const parts: Int16Array[] = [];
    for (let i = 0; i < x.length; i += 320) parts.push(r.process(x.subarray(i, i + 320)));
    const y = trim(concatPcm16(parts), 100);
    let maxStep = 0;
    for (let i = 1; i < y.length; i++) maxStep = Math.max(maxStep, Math.abs((y[i] as number) - (y[i - 1] as number)));
    const ideal = 0.5 * 32767 * 2 * Math.sin((Math.PI * 1000) / 24000);
    expect(maxStep).toBeLessThan(ideal * 1.02);
  });

  it("clamps instead of wrapping on overload", () => {
    const square = Int16Array.from({ length: 800 }, (_, i) => (Math.floor(i / 20) % 2 ? 32767 : -32768));
    const y = new Resampler(8000, 16000).process(square);
    for (let i = 1; i < y.length; i++) expect(Math.abs((y[i] as number) - (y[i - 1] as number))).toBeLessThan(40000);
  });

  it("passes audio through untouched at equal rates, and rejects bad rates", () => {
    const x = sine(1000, 16000, 0.01);
    expect(Array.from(new Resampler(16000, 16000).process(x))).toEqual(Array.from(x));
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
  });
});
