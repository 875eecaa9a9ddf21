import { describe, it, expect } from "vitest";
import {
  BUNDLE_HEADER_BYTES,
  bundleSize,
  decodeBundle,
  Direction,
  Encoding,
  encodeBundle,
  FRAME_HEADER_BYTES,
  SAMPLE_RATES,
  writeBundle,
  type AudioFrame,
} from "./audio-frames.js";
import { audioRecord, encodeLinkMessage, LinkDecoder, writeAudioRecord, type LinkItem } from "./codec.js";
import { Consequence, LinkErrorCode, LinkProtocolError, type LinkErrorCode as Code } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { concatBytes, encodeRecord, RecordKind } from "./records.js";

const CALL = "0b7e6a1c-93d4-4f2a-b1c5-2e8d9f0a7b6c";

/** Distinct bytes per frame, so a payload taken from the wrong offset shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 7 + i * 13 + (i >> 8)) & 0xff;
  return out;
}

function frame(slot: number, payload: Uint8Array, over: Partial<AudioFrame> = {}): AudioFrame {
  return { slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 8000, seq: slot * 10, timestampMs: slot * 20, payload, ...over };
}

function thrown(fn: () => unknown): LinkProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LinkProtocolError);
    return err as LinkProtocolError;
  }
  throw new Error("expected a LinkProtocolError");
}

const audio = (items: readonly LinkItem[]) => items.flatMap((i) => (i.kind === "audio" ? [i.frame] : []));
const errors = (items: readonly LinkItem[]) => items.flatMap((i) => (i.kind === "error" ? [i.error] : []));

/** Offset of frame `index`'s header inside a bundle body. */
function frameOffset(body: Uint8Array, index: number): number {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = BUNDLE_HEADER_BYTES;
  for (let i = 0; i < index; i++) at += FRAME_HEADER_BYTES + view.getUint16(at + 14, true);
  return at;
}

describe("audio bundle encoding", () => {
  it("writes the documented little-endian layout", () => {
    const body = encodeBundle([
      { slot: 0x0102, direction: Direction.Down, encoding: Encoding.PCMA, sampleRate: 48000, seq: 0x0a0b0c0d, timestampMs: 0x11223344, payload: new Uint8Array([0xde, 0xad, 0xbe]) },
    ]);
    expect(Array.from(body)).toEqual([
      1, 0, // count
      0x02, 0x01, // slot
      1, // direction
      3, // encoding
      0x80, 0xbb, // 48000
      0x0d, 0x0c, 0x0b, 0x0a, // seq
      0x44, 0x33, 0x22, 0x11, // timestampMs
      3, 0, // payload length
      0xde, 0xad, 0xbe,
    ]);
    expect(bundleSize([frame(1, new Uint8Array(3)), frame(2, new Uint8Array(0))])).toBe(2 + 16 + 3 + 16);
  });

  it("refuses values the wire cannot carry", () => {
    for (const slot of [-1, 65536, 1.5, Number.NaN]) expect(() => encodeBundle([frame(slot, new Uint8Array(0))])).toThrow(RangeError);
    expect(() => encodeBundle([frame(1, new Uint8Array(65536))])).toThrow(RangeError);
    expect(() => encodeBundle(Array.from({ length: 65536 }, () => frame(1, new Uint8Array(0))))).toThrow(RangeError);
  });

  it("writes a bundle, or a whole bundle record, in place at an offset, byte for byte as the allocating encoders", () => {
    const frames = [frame(1, pattern(640, 1)), frame(2, pattern(3, 2), { encoding: Encoding.PCMU }), frame(3, new Uint8Array(0))];
    const out = new Uint8Array(5 + bundleSize(frames) + 3).fill(0xee);
    expect(writeBundle(frames, out, 5)).toBe(5 + bundleSize(frames));
    expect(out.subarray(5, 5 + bundleSize(frames))).toEqual(encodeBundle(frames));
    expect([...out.subarray(0, 5), ...out.subarray(-3)]).toEqual(new Array(8).fill(0xee));
    const record = audioRecord(frames);
    expect(record).toEqual(encodeRecord(RecordKind.AudioBundle, encodeBundle(frames)));
    const message = new Uint8Array(2 + record.byteLength);
    expect(writeAudioRecord(frames, message, 2)).toBe(message.byteLength);
    expect(message.subarray(2)).toEqual(record);
  });

  it("wraps seq and timestamp at 2^32", () => {
    const [f] = decodeBundle(encodeBundle([frame(1, new Uint8Array(0), { seq: 2 ** 32 + 5, timestampMs: 2 ** 32 - 1 })]), DEFAULT_LIMITS).frames;
    expect(f?.seq).toBe(5);
    expect(f?.timestampMs).toBe(2 ** 32 - 1);
  });
});

describe("audio bundle decoding", () => {
  it("carries frames of many calls in one bundle", () => {
    const frames: AudioFrame[] = [];
    for (let slot = 0; slot < 60; slot++) {
      frames.push(frame(slot * 1000 + 7, pattern(320, slot), { direction: slot % 2 === 0 ? Direction.Up : Direction.Down, seq: 0xffffffff - slot }));
    }
    frames.push(frame(0, pattern(2, 1)), frame(65535, pattern(4, 2)));
    const items = new LinkDecoder().decodeMessage(audioRecord(frames));
    expect(items.every((i) => i.kind === "audio")).toBe(true);
    expect(audio(items)).toEqual(frames);
  });

  it("decodes every direction, encoding and sample rate", () => {
    const frames: AudioFrame[] = [];
    let slot = 0;
    for (const direction of Object.values(Direction)) {
      for (const encoding of Object.values(Encoding)) {
        for (const sampleRate of SAMPLE_RATES) frames.push(frame(slot++, pattern(160, slot), { direction, encoding, sampleRate }));
      }
    }
    expect(frames).toHaveLength(2 * 3 * 6);
    expect(audio(new LinkDecoder().decodeMessage(audioRecord(frames)))).toEqual(frames);
  });

  it("decodes payloads of 0, 320, 640, 1920 and odd-length G.711", () => {
    const frames = [
      frame(1, new Uint8Array(0)),
      frame(2, pattern(320, 2)),
      frame(3, pattern(640, 3)),
      frame(4, pattern(1920, 4), { sampleRate: 48000 }),
      frame(5, pattern(161, 5), { encoding: Encoding.PCMU }),
      frame(6, pattern(1, 6), { encoding: Encoding.PCMU }),
      frame(7, pattern(159, 7), { encoding: Encoding.PCMA }),
      frame(8, pattern(65535, 8), { encoding: Encoding.PCMU }),
    ];
    const decoded = audio(new LinkDecoder().decodeMessage(audioRecord(frames)));
    expect(decoded.map((f) => f.payload.byteLength)).toEqual([0, 320, 640, 1920, 161, 1, 159, 65535]);
    expect(decoded).toEqual(frames);
  });

  it("returns payloads as views into the message, byte-exact", () => {
    const frames = [frame(1, pattern(3, 1), { encoding: Encoding.PCMU }), frame(2, pattern(320, 2)), frame(3, pattern(5, 3), { encoding: Encoding.PCMA })];
    const message = concatBytes([encodeLinkMessage([{ type: "dtmf", callId: CALL, digit: "1" }]), audioRecord(frames)]);
    const decoded = audio(new LinkDecoder().decodeMessage(message));
    let at = message.byteLength - bundleSize(frames) + BUNDLE_HEADER_BYTES;
    decoded.forEach((f, i) => {
      at += FRAME_HEADER_BYTES;
      expect(f.payload.buffer).toBe(message.buffer);
      expect(f.payload.byteOffset).toBe(at);
      expect(Array.from(f.payload)).toEqual(Array.from(frames[i]?.payload ?? []));
      at += f.payload.byteLength;
    });
    // A view sees later writes to the message: callers must copy what they keep.
    const last = message.byteLength - 1;
    message[last] = (message[last] ?? 0) ^ 0xff;
    expect(decoded[2]?.payload[4]).toBe(message[last]);
  });

  it("decodes an empty bundle to no frames", () => {
    expect(new LinkDecoder().decodeMessage(audioRecord([]))).toEqual([]);
    expect(decodeBundle(new Uint8Array([0, 0]), DEFAULT_LIMITS)).toEqual({ frames: [], errors: [] });
  });
});

describe("per-frame errors end one call", () => {
  const good1 = frame(11, pattern(320, 11));
  const good2 = frame(33, pattern(640, 33), { direction: Direction.Down });

  /** A bundle of good1, a frame for slot 22 patched by `patch`, good2. */
  function withBadMiddle(middle: AudioFrame, patch: (view: DataView, at: number) => void = () => {}): Uint8Array {
    const body = encodeBundle([good1, middle, good2]);
    patch(new DataView(body.buffer), frameOffset(body, 1));
    return encodeRecord(RecordKind.AudioBundle, body);
  }

  const cases: { name: string; code: Code; record: Uint8Array; limits?: { maxFramePayloadBytes: number } }[] = [
    { name: "direction 2", code: LinkErrorCode.FrameBadDirection, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint8(at + 2, 2)) },
    { name: "direction 255", code: LinkErrorCode.FrameBadDirection, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint8(at + 2, 255)) },
    { name: "encoding 0", code: LinkErrorCode.FrameBadEncoding, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint8(at + 3, 0)) },
    { name: "encoding 4", code: LinkErrorCode.FrameBadEncoding, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint8(at + 3, 4)) },
    { name: "sample rate 11025", code: LinkErrorCode.FrameBadSampleRate, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint16(at + 4, 11025, true)) },
    { name: "sample rate 0", code: LinkErrorCode.FrameBadSampleRate, record: withBadMiddle(frame(22, pattern(320, 1)), (v, at) => v.setUint16(at + 4, 0, true)) },
    { name: "odd L16 length", code: LinkErrorCode.FramePayloadMisaligned, record: withBadMiddle(frame(22, pattern(321, 1))) },
    { name: "odd L16 length 1", code: LinkErrorCode.FramePayloadMisaligned, record: withBadMiddle(frame(22, pattern(1, 1))) },
    {
      name: "payload over maxFramePayloadBytes",
      code: LinkErrorCode.FramePayloadTooLarge,
      record: withBadMiddle(frame(22, pattern(642, 1))),
      limits: { maxFramePayloadBytes: 640 },
    },
  ];

  for (const c of cases) {
    it(`reports ${c.name} as ${c.code} for slot 22 and decodes the other frames`, () => {
      const after = encodeLinkMessage([{ type: "dtmf", callId: CALL, digit: "9" }], [frame(44, pattern(2, 44))]);
      const items = new LinkDecoder(c.limits).decodeMessage(concatBytes([c.record, after]));
      expect(audio(items)).toEqual([good1, good2, frame(44, pattern(2, 44))]);
      const [err, ...more] = errors(items);
      expect(more).toEqual([]);
      expect(err).toBeInstanceOf(LinkProtocolError);
      expect(err?.code).toBe(c.code);
      expect(err?.consequence).toBe(Consequence.EndCall);
      expect(err?.slot).toBe(22);
      expect(err?.callId).toBeUndefined();
      expect(items.some((i) => i.kind === "control" && i.message.type === "dtmf")).toBe(true);
    });
  }

  it("accepts a payload of exactly maxFramePayloadBytes", () => {
    const items = new LinkDecoder({ maxFramePayloadBytes: 640 }).decodeMessage(audioRecord([frame(1, pattern(640, 1))]));
    expect(audio(items)).toEqual([frame(1, pattern(640, 1))]);
  });

  it("reports each bad frame of a bundle with its own slot, in order", () => {
    const body = encodeBundle([frame(1, pattern(4, 1)), frame(2, pattern(3, 2)), frame(3, pattern(4, 3)), frame(4, pattern(4, 4))]);
    new DataView(body.buffer).setUint8(frameOffset(body, 2) + 3, 9);
    const { frames, errors: errs } = decodeBundle(body, DEFAULT_LIMITS);
    expect(frames.map((f) => f.slot)).toEqual([1, 4]);
    expect(errs.map((e) => [e.slot, e.code, e.consequence])).toEqual([
      [2, LinkErrorCode.FramePayloadMisaligned, Consequence.EndCall],
      [3, LinkErrorCode.FrameBadEncoding, Consequence.EndCall],
    ]);
  });
});

describe("structural bundle errors close the link", () => {
  const frames = [frame(1, pattern(320, 1)), frame(2, pattern(6, 2))];

  function expectClose(body: Uint8Array, code: Code, limits = {}) {
    const err = thrown(() => new LinkDecoder(limits).decodeMessage(encodeRecord(RecordKind.AudioBundle, body)));
    expect(err.code).toBe(code);
    expect(err.consequence).toBe(Consequence.CloseLink);
    expect(err.slot).toBeUndefined();
  }

  it("rejects a bundle without a whole frame count", () => {
    expectClose(new Uint8Array(0), LinkErrorCode.BundleMalformed);
    expectClose(new Uint8Array([1]), LinkErrorCode.BundleMalformed);
  });

  it("rejects a count beyond the bytes", () => {
    const body = encodeBundle(frames);
    new DataView(body.buffer).setUint16(0, 3, true);
    expectClose(body, LinkErrorCode.BundleMalformed);
    expectClose(concatBytes([body, new Uint8Array(FRAME_HEADER_BYTES - 1)]), LinkErrorCode.BundleMalformed);
  });

  it("rejects a payload length beyond the bytes", () => {
    const body = encodeBundle(frames);
    new DataView(body.buffer).setUint16(frameOffset(body, 1) + 14, 7, true);
    expectClose(body, LinkErrorCode.BundleMalformed);
  });

  it("rejects bytes after the last frame", () => {
    const body = encodeBundle(frames);
    expectClose(concatBytes([body, new Uint8Array([0])]), LinkErrorCode.BundleMalformed);
    const shorter = body.slice();
    new DataView(shorter.buffer).setUint16(0, 1, true);
    expectClose(shorter, LinkErrorCode.BundleMalformed);
  });

  it("rejects more frames than maxFramesPerBundle", () => {
    const five = Array.from({ length: 5 }, (_, i) => frame(i, pattern(2, i)));
    expectClose(encodeBundle(five), LinkErrorCode.BundleTooManyFrames, { maxFramesPerBundle: 4 });
    expect(audio(new LinkDecoder({ maxFramesPerBundle: 5 }).decodeMessage(audioRecord(five)))).toEqual(five);
    // The count alone decides: no frame bytes need to follow.
    expectClose(new Uint8Array([0xff, 0xff]), LinkErrorCode.BundleTooManyFrames);
  });

  it("fails the whole message, even when earlier records were fine", () => {
    const body = encodeBundle(frames);
    const message = concatBytes([encodeLinkMessage([{ type: "dtmf", callId: CALL, digit: "1" }]), encodeRecord(RecordKind.AudioBundle, body.subarray(0, body.byteLength - 1))]);
    expect(thrown(() => new LinkDecoder().decodeMessage(message)).code).toBe(LinkErrorCode.BundleMalformed);
  });
});

