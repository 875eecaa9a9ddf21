import alawmulaw from "alawmulaw";
import { describe, expect, it } from "vitest";
import { alawDecode, alawDecodeSample, alawEncode, alawEncodeSample, mulawDecode, mulawDecodeSample, mulawEncode, mulawEncodeSample } from "./g711.js";
import { db, sine } from "./dsp-test-signals.js";

describe("G.711", () => {
  it("μ-law matches the alawmulaw reference for every 16-bit sample and every byte", () => {
    for (let s = -32768; s <= 32767; s++) expect(mulawEncodeSample(s)).toBe(alawmulaw.mulaw.encodeSample(s) & 0xff);
    for (let b = 0; b < 256; b++) expect(mulawDecodeSample(b)).toBe(alawmulaw.mulaw.decodeSample(b));
  });

  it("A-law matches the alawmulaw reference for every 16-bit sample and every byte", () => {
    for (let s = -32768; s <= 32767; s++) expect(alawEncodeSample(s)).toBe(alawmulaw.alaw.encodeSample(s) & 0xff);
    for (let b = 0; b < 256; b++) expect(alawDecodeSample(b)).toBe(alawmulaw.alaw.decodeSample(b));
  });

  it("silence is the codecs' idle bytes (0xFF μ-law, 0xD5 A-law)", () => {
    expect(mulawEncodeSample(0)).toBe(0xff);
    expect(alawEncodeSample(0)).toBe(0xd5);
  });

  it("round trips speech-level audio at the codec's ~38 dB SNR", () => {
    const x = sine(1000, 8000, 0.5, 0.3);
    for (const [enc, dec] of [
      [mulawEncode, mulawDecode],
      [alawEncode, alawDecode],
    ] as const) {
      const y = dec(enc(x));
      let sig = 0;
      let err = 0;
      for (let i = 0; i < x.length; i++) {
        sig += (x[i] as number) ** 2;
        err += ((x[i] as number) - (y[i] as number)) ** 2;
      }
      expect(db(Math.sqrt(sig / err))).toBeGreaterThan(35);
    }
  });
});
