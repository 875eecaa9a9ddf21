import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("grows the cap exponentially up to the max, and draws under it", () => {
    const b = new Backoff({ minMs: 250, maxMs: 15_000, random: () => 0.999_999 });
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000]);
  });

  it("uses full jitter: the random draw scales the whole cap", () => {
    const draws = [0, 0.5, 0.25, 1];
    const b = new Backoff({ minMs: 100, maxMs: 10_000, random: () => draws.shift() ?? 0 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([0, 100, 100, 800]);
  });

  it("stays within [0, min(max, min*2^n)] for any draw, and never overflows", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const b = new Backoff({ minMs: 250, maxMs: 15_000, random });
    for (let n = 0; n < 2000; n++) {
      const cap = Math.min(15_000, 250 * 2 ** Math.min(n, 31));
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(cap);
    }
    expect(b.currentCapMs).toBe(15_000);
  });

  it("spreads delays (jitter is not constant)", () => {
    const b = new Backoff({ minMs: 1000, maxMs: 1000 });
    const seen = new Set(Array.from({ length: 50 }, () => b.next()));
    expect(seen.size).toBeGreaterThan(10);
  });

  it("clamps a misbehaving random source", () => {
    expect(new Backoff({ minMs: 100, maxMs: 100, random: () => 7 }).next()).toBe(100);
    expect(new Backoff({ minMs: 100, maxMs: 100, random: () => -1 }).next()).toBe(0);
    expect(new Backoff({ minMs: 100, maxMs: 100, random: () => NaN }).next()).toBe(100);
  });

  it("starts over after reset", () => {
    const b = new Backoff({ minMs: 10, maxMs: 1000, random: () => 1 });
    b.next();
    b.next();
    b.next();
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(10);
  });

  it("refuses nonsense bounds", () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ minMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});
