import { describe, expect, it } from "vitest";
import { base64Decode, base64Encode } from "./base64.js";
import { concatPcm16, pcm16FromBytes, pcm16ToBytes, toInt16 } from "./pcm16.js";

describe("pcm16", () => {
  it("reads little-endian samples from a view at an odd offset without a misaligned Int16Array", () => {
    const backing = new Uint8Array([9, 0x01, 0x80, 0xff, 0x7f, 0x34]);
    const odd = backing.subarray(1); // byteOffset 1: new Int16Array(buffer, 1) would throw
    expect(Array.from(pcm16FromBytes(odd))).toEqual([-32767, 32767]);
  });

  it("round trips every extreme, and ignores a trailing odd byte", () => {
    const s = Int16Array.from([-32768, -1, 0, 1, 32767]);
    expect(Array.from(pcm16FromBytes(pcm16ToBytes(s)))).toEqual(Array.from(s));
    expect(pcm16FromBytes(new Uint8Array(3)).length).toBe(1);
  });

  it("clamps floats to Int16", () => {
    expect([toInt16(40000), toInt16(-40000), toInt16(1.5)]).toEqual([32767, -32768, 2]);
    expect(Array.from(concatPcm16([Int16Array.of(1), Int16Array.of(2, 3)]))).toEqual([1, 2, 3]);
  });
});

describe("base64", () => {
  it("matches Node's Buffer for every length up to 300 and decodes back", () => {
    for (let n = 0; n < 300; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = base64Encode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64"));
      expect(Array.from(base64Decode(text))).toEqual(Array.from(bytes));
    }
  });

  it("rejects characters outside the alphabet", () => {
    expect(() => base64Decode("ab$d")).toThrow(RangeError);
  });
});
