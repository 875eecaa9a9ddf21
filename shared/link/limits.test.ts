import { describe, it, expect } from "vitest";
import { DEFAULT_LIMITS, resolveLimits, type LinkLimits } from "./limits.js";

describe("resolveLimits", () => {
  it("returns the defaults when nothing is overridden", () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits()).not.toBe(DEFAULT_LIMITS);
  });

  it("keeps the defaults consistent with the wire format", () => {
    expect(DEFAULT_LIMITS.maxFramePayloadBytes).toBeLessThanOrEqual(0xffff);
    expect(DEFAULT_LIMITS.maxFramesPerBundle).toBeLessThanOrEqual(0xffff);
    expect(DEFAULT_LIMITS.maxControlBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxRecordBytes);
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });

  it("overrides only what it is given", () => {
    expect(resolveLimits({ maxCalls: 5, maxFramePayloadBytes: 65_535 })).toEqual({ ...DEFAULT_LIMITS, maxCalls: 5, maxFramePayloadBytes: 65_535 });
    expect(resolveLimits({ maxRecordBytes: 1 }).maxRecordBytes).toBe(1);
  });

  const keys = Object.keys(DEFAULT_LIMITS) as (keyof LinkLimits)[];
  for (const key of keys) {
    it(`rejects a non-positive or non-integer ${key}`, () => {
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "10" as unknown as number]) {
        expect(() => resolveLimits({ [key]: bad })).toThrow(RangeError);
      }
    });
  }

  it("rejects a frame payload limit the 16-bit length field cannot express", () => {
    expect(() => resolveLimits({ maxFramePayloadBytes: 65_536 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxFramePayloadBytes: 1_000_000 })).toThrow(RangeError);
  });
});

describe("resolveLimits with undefined values", () => {
  it("takes the default for a limit given as undefined", () => {
    expect(resolveLimits({ maxCalls: undefined }).maxCalls).toBe(DEFAULT_LIMITS.maxCalls);
  });
});
