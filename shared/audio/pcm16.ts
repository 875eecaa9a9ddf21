/**
 * PCM16 little-endian bytes <-> Int16Array without misaligned views: a
 * payload decoded from a link bundle or a base64 string may start at an odd
 * byte offset, and `new Int16Array(buffer, odd)` throws (or, on a big-endian
 * host, would read the bytes swapped). These always copy through explicit
 * little-endian reads, so the result owns its memory and is aligned.
 */

/** Samples of little-endian PCM16 bytes. A trailing odd byte is ignored. */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  const n = bytes.byteLength >> 1;
  const out = new Int16Array(n);
  for (let i = 0, b = 0; i < n; i++, b += 2) {
    const v = (bytes[b] as number) | ((bytes[b + 1] as number) << 8);
    out[i] = v >= 0x8000 ? v - 0x10000 : v;
  }
  return out;
}

/** Little-endian PCM16 bytes of `samples`. */
export function pcm16ToBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  for (let i = 0, b = 0; i < samples.length; i++, b += 2) {
    const v = samples[i] as number;
    out[b] = v & 0xff;
    out[b + 1] = (v >> 8) & 0xff;
  }
  return out;
}

/** Rounds and clamps a float sample to Int16 (no wrap-around on overload). */
export function toInt16(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** Concatenates sample arrays. */
export function concatPcm16(parts: readonly Int16Array[]): Int16Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int16Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Duration of `samples` at `rate`, ms. */
export function durationMs(samples: number, rate: number): number {
  return (samples * 1000) / rate;
}
