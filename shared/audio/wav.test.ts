import { readFileSync } from "node:fs";
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { encodeWav, parseWav, WavFormatError } from "./wav.js";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url)));

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const u16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A chunk: id, u32 LE size, body, and the pad byte RIFF puts after an odd body. */
function chunk(id: string, body: number[], size = body.length): number[] {
  return [...ascii(id), ...u32(size), ...body, ...(body.length % 2 === 1 ? [0] : [])];
}
function fmt({ format = 1, channels = 1, rate = 8000, bits = 16 } = {}): number[] {
  const align = (channels * bits) / 8;
  return chunk("fmt ", [...u16(format), ...u16(channels), ...u32(rate), ...u32(rate * align), ...u16(align), ...u16(bits)]);
}
function riff(...chunks: number[][]): Uint8Array {
  const body = chunks.flat();
  return new Uint8Array([...ascii("RIFF"), ...u32(4 + body.length), ...ascii("WAVE"), ...body]);
}

function wavError(fn: () => unknown): WavFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WavFormatError);
    return err as WavFormatError;
  }
  throw new Error("expected a WavFormatError");
}

describe("encodeWav", () => {
  it("writes the canonical 44-byte PCM16 header", () => {
    const out = encodeWav({ sampleRate: 16000, channels: 2, data: new Uint8Array([1, 2, 3, 4]) });
    expect(Array.from(out)).toEqual([
      ...ascii("RIFF"), ...u32(40), ...ascii("WAVE"),
      ...ascii("fmt "), ...u32(16), ...u16(1), ...u16(2), ...u32(16000), ...u32(64000), ...u16(4), ...u16(16),
      ...ascii("data"), ...u32(4), 1, 2, 3, 4,
    ]);
  });
});

describe("parseWav", () => {
  it("round-trips what encodeWav writes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8000, 16000, 24000, 44100, 48000),
        fc.constantFrom(1, 2),
        fc.uint8Array({ maxLength: 2000 }).map((d) => d.subarray(0, d.byteLength & ~1)),
        (sampleRate, channels, data) => {
          const parsed = parseWav(encodeWav({ sampleRate, channels, data }));
          expect(parsed.sampleRate).toBe(sampleRate);
          expect(parsed.channels).toBe(channels);
          expect(Buffer.from(parsed.data).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { seed: 0x3a7, numRuns: 200 },
    );
  });

  it("parses the 16 kHz mono fixture", () => {
    const file = fixture("caller-greeting.wav");
    const audio = parseWav(file);
    expect(audio.sampleRate).toBe(16000);
    expect(audio.channels).toBe(1);
    expect(audio.data.byteLength % 2).toBe(0);
    // The fixture is a canonical 44-byte header followed by its samples.
    expect(audio.data.byteLength).toBe(file.byteLength - 44);
    expect(Buffer.from(audio.data).equals(Buffer.from(file.subarray(44)))).toBe(true);
    expect(audio.data.some((b) => b !== 0)).toBe(true);
    expect(Buffer.from(encodeWav(audio)).equals(Buffer.from(file))).toBe(true);
  });

  it("returns a copy, not a view of the file", () => {
    const file = encodeWav({ sampleRate: 8000, channels: 1, data: new Uint8Array([5, 6]) });
    const audio = parseWav(file);
    file[44] = 9;
    expect(Array.from(audio.data)).toEqual([5, 6]);
  });

  it("skips other chunks, including odd-sized ones with their pad byte", () => {
    const audio = parseWav(riff(chunk("LIST", [1, 2, 3]), fmt({ rate: 24000 }), chunk("fact", [0, 0, 0, 0]), chunk("data", [9, 8, 7, 6])));
    expect(audio).toEqual({ sampleRate: 24000, channels: 1, data: new Uint8Array([9, 8, 7, 6]) });
  });

  it("reads a data chunk whose size runs past the end (a stream that was never finalised)", () => {
    const file = riff(fmt(), [...ascii("data"), ...u32(0xffffffff), 1, 2, 3, 4, 5]);
    expect(Array.from(parseWav(file).data)).toEqual([1, 2, 3, 4]);
  });

  it("drops a trailing odd byte of data", () => {
    expect(Array.from(parseWav(riff(fmt(), chunk("data", [1, 2, 3]))).data)).toEqual([1, 2]);
  });

  it("rejects files that are not RIFF/WAVE", () => {
    const notWav = [
      new Uint8Array(0),
      new Uint8Array(11),
      new TextEncoder().encode("hello, world, this is not audio"),
      new Uint8Array([...ascii("RIFX"), ...u32(4), ...ascii("WAVE")]),
      new Uint8Array([...ascii("RIFF"), ...u32(4), ...ascii("AVI ")]),
      fixture("caller-greeting.wav").subarray(1),
    ];
    for (const file of notWav) wavError(() => parseWav(file));
  });

  it("rejects WAV files that are not PCM16", () => {
    const notPcm16 = [
      riff(fmt({ format: 3, bits: 32 }), chunk("data", [0, 0, 0, 0])), // float
      riff(fmt({ format: 7, bits: 8 }), chunk("data", [0, 0])), // mu-law
      riff(fmt({ format: 1, bits: 8 }), chunk("data", [0, 0])),
      riff(fmt({ format: 1, bits: 24 }), chunk("data", [0, 0, 0])),
      riff(fmt({ format: 0xfffe, bits: 16 }), chunk("data", [0, 0])), // extensible
    ];
    for (const file of notPcm16) wavError(() => parseWav(file));
  });

  it("rejects WAV files without a usable fmt or data chunk", () => {
    const broken = [
      riff(),
      riff(fmt()),
      riff(chunk("data", [0, 0]), fmt()),
      riff(chunk("LIST", [1, 2]), chunk("data", [0, 0])),
      riff([...ascii("LIST"), ...u32(100), 1, 2]), // runs past the end
      riff([...ascii("fmt "), ...u32(0)]), // empty fmt at the end of the file
      riff([...ascii("fmt "), ...u32(4), ...u16(1), ...u16(1)], chunk("data", [0, 0])), // fmt cut short
    ];
    for (const file of broken) wavError(() => parseWav(file));
  });

  it("throws nothing but WavFormatError for random or damaged files", () => {
    const valid = encodeWav({ sampleRate: 16000, channels: 1, data: new Uint8Array(64).fill(3) });
    const damaged = fc.tuple(fc.nat(valid.byteLength), fc.nat(255), fc.nat(valid.byteLength)).map(([at, value, cut]) => {
      const file = valid.slice(0, Math.max(cut, 12));
      if (at < file.byteLength) file[at] = value;
      return file;
    });
    // Chunks with plausible ids and random sizes reach the chunk parsing, which pure noise rarely does.
    const chunks = fc
      .array(fc.tuple(fc.constantFrom("fmt ", "data", "LIST"), fc.oneof(fc.nat(40), fc.nat()), fc.array(fc.nat(255), { maxLength: 24 })), { maxLength: 4 })
      .map((cs) => riff(...cs.map(([id, size, body]) => [...ascii(id), ...u32(size), ...body])));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), damaged, chunks), (file) => {
        try {
          const audio = parseWav(file);
          expect(audio.data.byteLength % 2).toBe(0);
        } catch (err) {
          expect(err).toBeInstanceOf(WavFormatError);
        }
      }),
      { seed: 0x3a8, numRuns: 3000 },
    );
  });
});
