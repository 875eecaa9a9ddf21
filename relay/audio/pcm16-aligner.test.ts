import { describe, expect, it } from "vitest";
import { Pcm16Aligner } from "./pcm16-aligner.js";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("Pcm16Aligner", () => {
  it("passes even chunks through untouched", () => {
    const a = new Pcm16Aligner();
    const chunk = bytes(1, 2, 3, 4);
    expect(a.push(chunk)).toBe(chunk);
    expect(a.holding).toBe(false);
  });

  it("keeps an odd byte for the next chunk instead of misaligning", () => {
    const a = new Pcm16Aligner();
    expect([...a.push(bytes(1, 2, 3))]).toEqual([1, 2]);
    expect(a.holding).toBe(true);
    expect([...a.push(bytes(4, 5, 6, 7))]).toEqual([3, 4, 5, 6]);
    expect([...a.push(bytes(8))]).toEqual([7, 8]);
    expect([...a.push(bytes(9))]).toEqual([]);
    expect([...a.push(bytes())]).toEqual([]);
    expect([...a.push(bytes(10))]).toEqual([9, 10]);
    expect(a.holding).toBe(false);
  });
});
