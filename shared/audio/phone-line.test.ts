/**
 * Which format should OpenAI Realtime get on a phone line: `audio/pcm`
 * (24 kHz PCM16) or `audio/pcmu` (8 kHz G.711 μ-law)? Both paths are run on
 * real speech (a fixture), as a caller reaches us (16 kHz L16 from
 * mod_audio_stream, either wideband or a PSTN call FreeSWITCH decoded from
 * G.711) and as the agent's audio goes back to the call. Measured: fidelity
 * against what the caller could hear at best, bytes on the wire (base64 in
 * JSON), and our CPU per second of audio. The figures are printed; the
 * assertions only pin the facts the choice rests on.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mulawDecode, mulawEncode } from "./g711.js";
import { pcm16FromBytes } from "./pcm16.js";
import { Resampler } from "./resampler.js";
import { parseWav } from "./wav.js";

const speech = pcm16FromBytes(parseWav(new Uint8Array(readFileSync(new URL("../../test/fixtures/caller-greeting.wav", import.meta.url)))).data);

/** SNR of `test` against `ref` (same signal before and after a codec at one rate: no delay to align), dB. */
function snr(ref: Int16Array, test: Int16Array): number {
  let sig = 0;
  let err = 0;
  for (let i = 0; i < Math.min(ref.length, test.length); i++) {
    const r = ref[i] as number;
    sig += r * r;
    err += (r - (test[i] as number)) ** 2;
  }
  return 10 * Math.log10(sig / Math.max(err, 1));
}

/** Share of the energy of `x` (at `rate`) above `hz`: what a band limit removes. */
function energyAbove(x: Int16Array, rate: number, hz: number): number {
  const low = new Resampler(rate, 2 * hz).process(x);
  const back = new Resampler(2 * hz, rate).process(low);
  const e = (a: Int16Array) => a.reduce((n, v) => n + v * v, 0);
  // The band-limited copy has the same energy below `hz`; the rest is what was lost.
  return Math.max(0, 1 - e(back) / e(x));
}

const run = (from: number, to: number, x: Int16Array) => new Resampler(from, to).process(x);
const base64Bytes = (rawBytesPerSecond: number) => Math.ceil(rawBytesPerSecond / 3) * 4;

function cpuMsPerSecond(fn: () => void, audioSeconds: number): number {
  const t = performance.now();
  for (let i = 0; i < 5; i++) fn();
  return (performance.now() - t) / 5 / audioSeconds;
}

describe("OpenAI Realtime format on a phone line: pcm 24 kHz vs G.711 μ-law 8 kHz", () => {
  const seconds = speech.length / 16000;
  // What a PSTN caller's audio is when it reaches us: G.711 at 8 kHz, decoded and upsampled by FreeSWITCH.
  const pstn8k = mulawDecode(mulawEncode(run(16000, 8000, speech)));
  const pstn16k = run(8000, 16000, pstn8k);

  // Upstream: what the provider gets of the caller. pcm: resampled only. pcmu: band-limited to 4 kHz and μ-law quantized.
  const wideLost = energyAbove(speech, 16000, 4000);
  const pstnLost = energyAbove(pstn16k, 16000, 4000);
  const requantized = run(16000, 8000, pstn16k);
  const pstnRequantSnr = snr(requantized, mulawDecode(mulawEncode(requantized)));
  const wideQuantSnr = snr(run(16000, 8000, speech), mulawDecode(mulawEncode(run(16000, 8000, speech))));
  // Downstream: the agent's 24 kHz speech to the 16 kHz call. pcm keeps up to ~7 kHz; pcmu 3.4 kHz and μ-law noise.
  const agent24k = run(16000, 24000, speech);
  const agentLost = energyAbove(run(24000, 16000, agent24k), 16000, 4000);
  const wire = { pcm: base64Bytes(48_000), pcmu: base64Bytes(8_000) };
  const cpu = {
    pcm: cpuMsPerSecond(() => (run(16000, 24000, speech), run(24000, 16000, agent24k)), seconds),
    pcmu: cpuMsPerSecond(() => (mulawEncode(run(16000, 8000, speech)), run(8000, 16000, mulawDecode(mulawEncode(run(24000, 8000, agent24k))))), seconds),
  };

  it("prints the figures", () => {
    const pc = (n: number) => `${(n * 100).toFixed(1)} %`;
    // eslint-disable-next-line no-console -- the measurement is the point of this file
    console.log(
      [
        "OpenAI Realtime audio format, per call and direction (pcm = 24 kHz PCM16, pcmu = 8 kHz G.711 μ-law):",
        `  wire, base64 in JSON             pcm ${wire.pcm} B/s, pcmu ${wire.pcmu} B/s`,
        `  speech energy above 4 kHz        wideband caller ${pc(wideLost)}, PSTN caller ${pc(pstnLost)}, agent voice ${pc(agentLost)} (pcmu drops it, pcm keeps it)`,
        `  μ-law quantization (pcmu only)   ${wideQuantSnr.toFixed(1)} dB SNR on a wideband caller, ${pstnRequantSnr.toFixed(1)} dB re-quantizing a PSTN caller FreeSWITCH decoded and resampled`,
        `  our CPU per second of audio      pcm ${cpu.pcm.toFixed(2)} ms, pcmu ${cpu.pcmu.toFixed(2)} ms (both directions)`,
      ].join("\n"),
    );
  });

  it("pcm is lossless at our end; pcmu is 6x lighter on the wire, loses the band above 4 kHz and adds quantization noise", () => {
    expect(wire.pcm / wire.pcmu).toBeCloseTo(6, 2);
    expect(wideLost).toBeGreaterThan(pstnLost);
    expect(pstnLost).toBeLessThan(0.01);
    expect(pstnRequantSnr).toBeLessThan(45);
  });
});
