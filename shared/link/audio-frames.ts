/**
 * Audio frames and bundles. A bundle is the body of one AudioBundle record:
 * `[count u16]` then `count` frames, each a 16-byte header and its payload:
 *
 *   slot u16 | direction u8 | encoding u8 | sampleRate u16 | seq u32 |
 *   timestampMs u32 | payloadLength u16 | payload
 *
 * all little-endian. The slot is a small number the relay gives each call in
 * its call.start (cheaper than a 36-byte UUID on every frame). One bundle
 * carries frames of many calls, so a relay with hundreds of calls sends tens of
 * messages per second, not thousands.
 *
 * A frame whose header is well-formed but whose values are wrong (bad
 * encoding, odd PCM16 length) ends only its call: the decoder reports it with
 * the slot and carries on. A bundle whose lengths do not add up is link-level
 * corruption.
 */
import { Consequence, LinkErrorCode, LinkProtocolError, linkError } from "./errors.js";
import type { LinkLimits } from "./limits.js";

export const FRAME_HEADER_BYTES = 16;
export const BUNDLE_HEADER_BYTES = 2;
export const MAX_SLOT = 0xffff;

/** Direction of a frame. Wire values: never reuse. */
export const Direction = {
  /** Caller's audio, relay to cloud. */
  Up: 0,
  /** Agent's audio, cloud to relay (played into the call). */
  Down: 1,
} as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** Audio encodings. Wire values: never reuse. */
export const Encoding = {
  /** Signed 16-bit little-endian PCM (what mod_audio_stream sends). */
  L16: 1,
  /** G.711 mu-law. */
  PCMU: 2,
  /** G.711 A-law. */
  PCMA: 3,
} as const;
export type Encoding = (typeof Encoding)[keyof typeof Encoding];
export type EncodingName = keyof typeof Encoding;

export const SAMPLE_RATES = [8000, 16000, 24000, 32000, 44100, 48000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];

const encodingValues: ReadonlySet<number> = new Set(Object.values(Encoding));
const directionValues: ReadonlySet<number> = new Set(Object.values(Direction));
const rateValues: ReadonlySet<number> = new Set(SAMPLE_RATES);

export function isSampleRate(n: number): n is SampleRate {
  return rateValues.has(n);
}

export interface AudioFrame {
  slot: number;
  direction: Direction;
  encoding: Encoding;
  sampleRate: SampleRate;
  /** Per call and direction, +1 per frame, wraps at 2^32. */
  seq: number;
  /** Milliseconds since the call's stream started, wraps at 2^32. */
  timestampMs: number;
  payload: Uint8Array;
}

/** Bytes a bundle of these frames occupies (without the record header). */
export function bundleSize(frames: readonly AudioFrame[]): number {
  let size = BUNDLE_HEADER_BYTES;
  for (const f of frames) size += FRAME_HEADER_BYTES + f.payload.byteLength;
  return size;
}

/** Encodes frames into a bundle body. Throws RangeError for values that cannot be encoded (a programming error). */
export function encodeBundle(frames: readonly AudioFrame[]): Uint8Array {
  const out = new Uint8Array(bundleSize(frames));
  writeBundle(frames, out, 0);
  return out;
}

/**
 * Writes the bundle body of `frames` into `out` at `at` (it must have
 * {@link bundleSize} bytes there), so a sender can build a whole message
 * with one allocation and one copy of each payload. Returns the offset after
 * it. Throws RangeError like {@link encodeBundle}.
 */
export function writeBundle(frames: readonly AudioFrame[], out: Uint8Array, at: number): number {
  if (frames.length > 0xffff) throw new RangeError(`a bundle holds at most 65535 frames, got ${frames.length}`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(at, frames.length, true);
  at += BUNDLE_HEADER_BYTES;
  for (const f of frames) {
    if (!Number.isInteger(f.slot) || f.slot < 0 || f.slot > MAX_SLOT) throw new RangeError(`slot out of range: ${f.slot}`);
    if (f.payload.byteLength > 0xffff) throw new RangeError(`frame payload too large: ${f.payload.byteLength}`);
    view.setUint16(at, f.slot, true);
    view.setUint8(at + 2, f.direction);
    view.setUint8(at + 3, f.encoding);
    view.setUint16(at + 4, f.sampleRate, true);
    view.setUint32(at + 6, f.seq >>> 0, true);
    view.setUint32(at + 10, f.timestampMs >>> 0, true);
    view.setUint16(at + 14, f.payload.byteLength, true);
    out.set(f.payload, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + f.payload.byteLength;
  }
  return at;
}

export interface DecodedBundle {
  frames: AudioFrame[];
  /** Per-call problems (consequence end-call, with the slot). */
  errors: LinkProtocolError[];
}

/**
 * Decodes a bundle body. Payloads are views into `body` (no copy): copy before
 * keeping them past the message, and before making an Int16Array of one (its
 * offset may be odd).
 */
export function decodeBundle(body: Uint8Array, limits: Pick<LinkLimits, "maxFramesPerBundle" | "maxFramePayloadBytes">): DecodedBundle {
  if (body.byteLength < BUNDLE_HEADER_BYTES) {
    throw linkError(LinkErrorCode.BundleMalformed, `bundle of ${body.byteLength} bytes has no frame count`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint16(0, true);
  if (count > limits.maxFramesPerBundle) {
    throw linkError(LinkErrorCode.BundleTooManyFrames, `bundle holds ${count} frames, limit is ${limits.maxFramesPerBundle}`);
  }
  const frames: AudioFrame[] = [];
  const errors: LinkProtocolError[] = [];
  let at = BUNDLE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (body.byteLength - at < FRAME_HEADER_BYTES) {
      throw linkError(LinkErrorCode.BundleMalformed, `frame ${i} of ${count}: header cut short at offset ${at}`);
    }
    const slot = view.getUint16(at, true);
    const direction = view.getUint8(at + 2);
    const encoding = view.getUint8(at + 3);
    const sampleRate = view.getUint16(at + 4, true);
    const seq = view.getUint32(at + 6, true);
    const timestampMs = view.getUint32(at + 10, true);
    const length = view.getUint16(at + 14, true);
    const start = at + FRAME_HEADER_BYTES;
    if (body.byteLength - start < length) {
      throw linkError(LinkErrorCode.BundleMalformed, `frame ${i} of ${count}: payload of ${length} bytes runs past the bundle`);
    }
    at = start + length;
    const problem = checkFrame(direction, encoding, sampleRate, length, limits.maxFramePayloadBytes);
    if (problem) {
      errors.push(new LinkProtocolError(problem[0], Consequence.EndCall, `slot ${slot}: ${problem[1]}`, slot));
      continue;
    }
    frames.push({
      slot,
      direction: direction as Direction,
      encoding: encoding as Encoding,
      sampleRate: sampleRate as SampleRate,
      seq,
      timestampMs,
      payload: body.subarray(start, start + length),
    });
  }
  if (at !== body.byteLength) {
    throw linkError(LinkErrorCode.BundleMalformed, `bundle has ${body.byteLength - at} bytes after its ${count} frames`);
  }
  return { frames, errors };
}

function checkFrame(
  direction: number,
  encoding: number,
  sampleRate: number,
  length: number,
  maxPayload: number,
): [LinkErrorCode, string] | undefined {
  if (!directionValues.has(direction)) return [LinkErrorCode.FrameBadDirection, `unknown direction ${direction}`];
  if (!encodingValues.has(encoding)) return [LinkErrorCode.FrameBadEncoding, `unknown encoding ${encoding}`];
  if (!rateValues.has(sampleRate)) return [LinkErrorCode.FrameBadSampleRate, `unsupported sample rate ${sampleRate}`];
  if (length > maxPayload) return [LinkErrorCode.FramePayloadTooLarge, `payload of ${length} bytes exceeds ${maxPayload}`];
  if (encoding === Encoding.L16 && length % 2 !== 0) {
    return [LinkErrorCode.FramePayloadMisaligned, `PCM16 payload of odd length ${length}`];
  }
  return undefined;
}
