/**
 * G.711 μ-law and A-law (ITU-T G.711), the codecs of the phone line and of
 * OpenAI Realtime's `audio/pcmu` / `audio/pcma` and ElevenLabs' `ulaw_8000`.
 * Encoders follow the reference segment algorithm (as in Sun's g711.c and
 * the `alawmulaw` package, which the tests use as an oracle); decoders are
 * 256-entry tables built once.
 */

const MULAW_BIAS = 0x84;
/** Largest magnitude either encoder takes (the reference encoders clip here too). */
const MULAW_CLIP = 32635;

/** One PCM16 sample to μ-law. */
export function mulawEncodeSample(sample: number): number {
  const sign = (sample >> 8) & 0x80;
  let s = sign ? -sample : sample;
  s += MULAW_BIAS;
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  const top = (s >> 7) & 0xff;
  const exponent = top < 2 ? 0 : 31 - Math.clz32(top);
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One μ-law byte to PCM16. */
export function mulawDecodeSample(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** One PCM16 sample to A-law. */
export function alawEncodeSample(sample: number): number {
  let s = sample === -32768 ? -32767 : sample;
  const sign = (~s >> 8) & 0x80; // A-law sets the sign bit for positive samples
  if (!sign) s = -s;
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  let v = s >> 4; // segment 0: linear
  if (s >= 256) {
    const exponent = 32 - Math.clz32((s >> 8) & 0x7f);
    v = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (v ^ (sign ^ 0x55)) & 0xff;
}

/** One A-law byte to PCM16. */
export function alawDecodeSample(byte: number): number {
  const a = byte ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

const MULAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => mulawDecodeSample(i));
const ALAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawDecodeSample(i));

export function mulawEncode(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = mulawEncodeSample(samples[i] as number);
  return out;
}

export function mulawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_TABLE[bytes[i] as number] as number;
  return out;
}

export function alawEncode(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = alawEncodeSample(samples[i] as number);
  return out;
}

export function alawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_TABLE[bytes[i] as number] as number;
  return out;
}
