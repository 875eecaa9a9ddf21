import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { Direction, Encoding, type AudioFrame } from "./audio-frames.js";
import { audioRecord, controlRecord, encodeLinkMessage, LinkDecoder, type LinkItem } from "./codec.js";
import type { ControlInput } from "./control.js";
import { Consequence, isLinkErrorCode, LinkErrorCode, LinkProtocolError } from "./errors.js";
import { concatBytes, encodeRecord, RECORD_HEADER_BYTES, RECORD_MAGIC, RecordDecoder, RecordKind, writeRecordHeader } from "./records.js";

const CALL = "5f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

const hello: ControlInput = { type: "hello", protocolVersion: 1, minProtocolVersion: 1, software: "relay/0.1.0", capabilities: ["audio.l16"] };
const callStart: ControlInput = {
  type: "call.start",
  callId: CALL,
  slot: 3,
  caller: { number: "+5511999990000" },
  audio: { encoding: "L16", sampleRate: 16000 },
};

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i * 31) & 0xff;
  return out;
}

function frame(slot: number, payload: Uint8Array, seq = 1): AudioFrame {
  return { slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000, seq, timestampMs: seq * 20, payload };
}

/** A message with two control records and a bundle of two frames. */
const message = encodeLinkMessage([hello, callStart], [frame(3, pattern(640, 1), 1), frame(3, pattern(320, 2), 2)]);

/** A record of any kind, including kinds RecordKind does not name. */
function rawRecord(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + body.byteLength);
  writeRecordHeader(out, 0, kind, body.byteLength);
  out.set(body, RECORD_HEADER_BYTES);
  return out;
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

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** Items as plain data, payloads as hex: a fast deep comparison for large loops. */
function plain(items: readonly LinkItem[]): unknown[] {
  return items.map((i) => (i.kind === "audio" ? { ...i, frame: { ...i.frame, payload: hex(i.frame.payload) } } : i));
}

/** Feeds `bytes` split at `points` (sorted offsets) and checks the stream ends on a record boundary. */
function decodeChunked(bytes: Uint8Array, points: readonly number[]): LinkItem[] {
  const decoder = new LinkDecoder();
  const items: LinkItem[] = [];
  let from = 0;
  for (const p of [...points, bytes.byteLength]) {
    items.push(...decoder.push(bytes.subarray(from, p)));
    from = p;
  }
  expect(decoder.decodeMessage(new Uint8Array(0))).toEqual([]);
  return items;
}

const expected = new LinkDecoder().decodeMessage(message);

describe("record framing", () => {
  it("frames a record as magic, kind, u32 LE length, body", () => {
    const rec = encodeRecord(RecordKind.AudioBundle, new Uint8Array([0xaa, 0xbb, 0xcc]));
    expect(Array.from(rec)).toEqual([0x56, 2, 3, 0, 0, 0, 0xaa, 0xbb, 0xcc]);
    const big = new Uint8Array(6);
    writeRecordHeader(big, 0, RecordKind.Control, 0x01020304);
    expect(Array.from(big)).toEqual([RECORD_MAGIC, 1, 4, 3, 2, 1]);
  });

  it("decodes the sample message in wire order", () => {
    expect(expected.map((i) => i.kind)).toEqual(["control", "control", "audio", "audio"]);
    const frames = expected.flatMap((i) => (i.kind === "audio" ? [i.frame] : []));
    expect(frames.map((f) => f.seq)).toEqual([1, 2]);
    expect(frames[0]?.payload).toEqual(pattern(640, 1));
    expect(frames[1]?.payload).toEqual(pattern(320, 2));
  });

  it("decodes one message split in two at every possible point", () => {
    for (let split = 0; split <= message.byteLength; split++) {
      expect(plain(decodeChunked(message, [split]))).toEqual(plain(expected));
    }
  });

  it("decodes one message fed one byte at a time", () => {
    const points = Array.from({ length: message.byteLength - 1 }, (_, i) => i + 1);
    expect(decodeChunked(message, points)).toEqual(expected);
  });

  it("decodes one message split at random multi-way points", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: message.byteLength }), { maxLength: 20 }), (points) => {
        expect(plain(decodeChunked(message, [...points].sort((a, b) => a - b)))).toEqual(plain(expected));
      }),
      { seed: 0x11ce, numRuns: 300 },
    );
  });

  it("decodes several records and messages in one chunk", () => {
    const second = encodeLinkMessage([{ type: "dtmf", callId: CALL, digit: "5" }]);
    const items = new LinkDecoder().decodeMessage(concatBytes([message, second, message]));
    expect(items).toEqual([...expected, { kind: "control", message: { type: "dtmf", callId: CALL, digit: "5" } }, ...expected]);
  });

  it("holds a partial header until the rest arrives", () => {
    const records = new RecordDecoder(1024);
    const rec = encodeRecord(RecordKind.Control, new Uint8Array([0x7b, 0x7d]));
    expect(records.push(rec.subarray(0, 1))).toEqual([]);
    expect(records.push(rec.subarray(1, 5))).toEqual([]);
    expect(records.bufferedBytes).toBe(5);
    expect(records.push(rec.subarray(5, 7))).toEqual([]);
    expect(records.bufferedBytes).toBe(7);
    const done = records.push(rec.subarray(7));
    expect(done).toHaveLength(1);
    expect(done[0]?.kind).toBe(RecordKind.Control);
    expect(Array.from(done[0]?.body ?? [])).toEqual([0x7b, 0x7d]);
    expect(records.bufferedBytes).toBe(0);
    expect(() => records.assertAtBoundary()).not.toThrow();
  });

  it("does not hold on to bytes of a chunk it has fully consumed", () => {
    const records = new RecordDecoder(1024);
    const chunk = concatBytes([encodeRecord(RecordKind.Control, new Uint8Array([1])), new Uint8Array([RECORD_MAGIC, 1])]);
    expect(records.push(chunk)).toHaveLength(1);
    expect(records.bufferedBytes).toBe(2);
    chunk.fill(0); // the caller reuses its buffer
    expect(records.push(new Uint8Array([1, 0, 0, 0, 9]))).toEqual([{ kind: RecordKind.Control, body: new Uint8Array([9]) }]);
  });

  it("rejects a bad magic byte with close-link LINK_BAD_MAGIC", () => {
    const bad = message.slice();
    bad[0] = 0x57;
    const err = thrown(() => new LinkDecoder().decodeMessage(bad));
    expect(err.code).toBe(LinkErrorCode.BadMagic);
    expect(err.consequence).toBe(Consequence.CloseLink);
  });

  it("rejects a bad magic byte in a later record of the stream", () => {
    const decoder = new LinkDecoder();
    expect(decoder.push(message)).toEqual(expected);
    const err = thrown(() => decoder.push(new Uint8Array([0x00, 1, 0, 0, 0, 0])));
    expect(err.code).toBe(LinkErrorCode.BadMagic);
    expect(err.consequence).toBe(Consequence.CloseLink);
  });

  it("rejects a record longer than maxRecordBytes from its header alone", () => {
    const decoder = new LinkDecoder({ maxRecordBytes: 100 });
    const header = new Uint8Array(RECORD_HEADER_BYTES);
    writeRecordHeader(header, 0, RecordKind.Control, 101);
    const err = thrown(() => decoder.push(header));
    expect(err.code).toBe(LinkErrorCode.RecordTooLarge);
    expect(err.consequence).toBe(Consequence.CloseLink);
  });

  it("accepts a record of exactly maxRecordBytes", () => {
    const items = new LinkDecoder({ maxRecordBytes: 100 }).decodeMessage(rawRecord(200, new Uint8Array(100)));
    expect(items).toEqual([{ kind: "ignored", what: "record kind 200" }]);
  });

  it("rejects a 4 GiB length with the default limits", () => {
    const header = new Uint8Array([RECORD_MAGIC, RecordKind.AudioBundle, 0xff, 0xff, 0xff, 0xff]);
    expect(thrown(() => new LinkDecoder().push(header)).code).toBe(LinkErrorCode.RecordTooLarge);
  });

  it("rejects a message that ends inside a record with LINK_TRUNCATED", () => {
    for (const cut of [1, RECORD_HEADER_BYTES - 1, RECORD_HEADER_BYTES, message.byteLength - 1]) {
      const err = thrown(() => new LinkDecoder().decodeMessage(message.subarray(0, cut)));
      expect(err.code).toBe(LinkErrorCode.Truncated);
      expect(err.consequence).toBe(Consequence.CloseLink);
    }
    const extra = concatBytes([message, new Uint8Array([RECORD_MAGIC, 1, 0])]);
    expect(thrown(() => new LinkDecoder().decodeMessage(extra)).code).toBe(LinkErrorCode.Truncated);
  });

  it("accepts an empty message and empty chunks", () => {
    const decoder = new LinkDecoder();
    expect(decoder.push(new Uint8Array(0))).toEqual([]);
    expect(decoder.decodeMessage(new Uint8Array(0))).toEqual([]);
    expect(decoder.decodeMessage(message)).toEqual(expected);
  });

  it("stays failed after a framing error", () => {
    const bad = message.slice();
    bad[0] = 0;
    for (const failing of [bad, message.subarray(0, 10)]) {
      const decoder = new LinkDecoder();
      thrown(() => decoder.decodeMessage(failing));
      for (const next of [message, new Uint8Array(0)]) {
        const err = thrown(() => decoder.push(next));
        expect(err.consequence).toBe(Consequence.CloseLink);
        expect(isLinkErrorCode(err.code)).toBe(true);
      }
    }
  });

  it("stays failed after a close-link error in a record body", () => {
    const decoder = new LinkDecoder();
    thrown(() => decoder.decodeMessage(encodeRecord(RecordKind.Control, new TextEncoder().encode("{"))));
    const err = thrown(() => decoder.decodeMessage(message));
    expect(err.consequence).toBe(Consequence.CloseLink);
    expect(isLinkErrorCode(err.code)).toBe(true);
  });

  it("keeps the record decoder failed after it throws", () => {
    const records = new RecordDecoder(16);
    expect(() => records.push(new Uint8Array([1, 2, 3, 4, 5, 6]))).toThrow(LinkProtocolError);
    expect(records.bufferedBytes).toBe(0);
    const err = thrown(() => records.push(encodeRecord(RecordKind.Control, new Uint8Array(1))));
    expect(err.consequence).toBe(Consequence.CloseLink);
  });

  it("skips unknown record kinds and decodes the records after them", () => {
    const dtmf: ControlInput = { type: "dtmf", callId: CALL, digit: "#" };
    const items = new LinkDecoder().decodeMessage(
      concatBytes([
        rawRecord(0, new Uint8Array([1, 2, 3])),
        controlRecord(dtmf),
        rawRecord(200, new Uint8Array(0)),
        rawRecord(255, pattern(50, 9)),
        audioRecord([frame(4, pattern(2, 3))]),
      ]),
    );
    expect(items).toEqual([
      { kind: "ignored", what: "record kind 0" },
      { kind: "control", message: dtmf },
      { kind: "ignored", what: "record kind 200" },
      { kind: "ignored", what: "record kind 255" },
      { kind: "audio", frame: frame(4, pattern(2, 3)) },
    ]);
  });

  it("encodes nothing for no controls and no frames", () => {
    expect(encodeLinkMessage([]).byteLength).toBe(0);
    expect(encodeLinkMessage([], []).byteLength).toBe(0);
  });
});
