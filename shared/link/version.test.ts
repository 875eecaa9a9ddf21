import { describe, it, expect } from "vitest";
import { MIN_PROTOCOL_VERSION, negotiateVersion, PROTOCOL_VERSION } from "./version.js";

describe("negotiateVersion", () => {
  it("speaks our version with a peer of the same range", () => {
    expect(negotiateVersion(PROTOCOL_VERSION, MIN_PROTOCOL_VERSION)).toBe(PROTOCOL_VERSION);
  });

  it("speaks our version with a newer peer that still accepts it", () => {
    expect(negotiateVersion(PROTOCOL_VERSION + 5, MIN_PROTOCOL_VERSION)).toBe(PROTOCOL_VERSION);
    expect(negotiateVersion(PROTOCOL_VERSION + 5, PROTOCOL_VERSION)).toBe(PROTOCOL_VERSION);
  });

  it("refuses a newer peer that no longer accepts our version", () => {
    expect(negotiateVersion(PROTOCOL_VERSION + 5, PROTOCOL_VERSION + 1)).toBeUndefined();
  });

  it("refuses a peer older than our minimum", () => {
    expect(negotiateVersion(MIN_PROTOCOL_VERSION - 1, MIN_PROTOCOL_VERSION - 1)).toBeUndefined();
    expect(negotiateVersion(0, 0)).toBeUndefined();
  });

  it("refuses an empty or nonsensical range", () => {
    expect(negotiateVersion(PROTOCOL_VERSION, PROTOCOL_VERSION + 1)).toBeUndefined();
    expect(negotiateVersion(Number.NaN, MIN_PROTOCOL_VERSION)).toBeUndefined();
    expect(negotiateVersion(PROTOCOL_VERSION, Number.NaN)).toBeUndefined();
  });
});
