/** Speech samples for the demo and the tests (see test/fixtures/README.md). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseWav, type Pcm16Audio } from "../../shared/audio/wav.js";

export function loadFixture(name: string): Pcm16Audio {
  return parseWav(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)))));
}

/** Exactly `seconds` of 16 kHz speech: the fixtures one after another, repeated as needed. */
export function speech16k(seconds: number): Uint8Array {
  const parts = ["caller-greeting.wav", "caller-support.wav"].map((f) => loadFixture(f).data);
  const want = Math.round(seconds * 16000) * 2;
  const out = new Uint8Array(want);
  let at = 0;
  for (let i = 0; at < want; i++) {
    const part = parts[i % parts.length] as Uint8Array;
    const n = Math.min(part.byteLength, want - at);
    out.set(part.subarray(0, n), at);
    at += n;
  }
  return out;
}
