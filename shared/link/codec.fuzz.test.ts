/**
 * Fuzzing the link decoder with random and mutated inputs. The contract under
 * test: whatever bytes a peer sends, the decoder either returns items (with
 * per-call problems as end-call error items) or throws a close-link
 * LinkProtocolError with a known code; nothing else ever escapes, and the
 * answer does not depend on how the bytes were chunked.
 *
 * Deterministic (seeded xorshift), silent, and sized to run in seconds.
 */
import { describe, it, expect } from "vitest";
import { Direction, Encoding, encodeBundle, SAMPLE_RATES, type AudioFrame } from "./audio-frames.js";
import { audioRecord, encodeLinkMessage, LinkDecoder, type LinkItem } from "./codec.js";
import type { ControlInput } from "./control.js";
import { Consequence, isLinkErrorCode, LinkErrorCode, LinkProtocolError } from "./errors.js";
import type { LinkLimits } from "./limits.js";
import { concatBytes, encodeRecord, RECORD_HEADER_BYTES, RecordKind, writeRecordHeader } from "./records.js";

const INPUTS = 100_000;

/** xorshift32: small, fast and the same on every machine. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

const CALLS = ["3f2504e0-4f89-41d3-9a0c-0305e82c3301", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "00000000-0000-0000-0000-000000000000"];
const SMALL_LIMITS: Partial<LinkLimits> = { maxRecordBytes: 600, maxControlBytes: 300, maxFramesPerBundle: 6, maxFramePayloadBytes: 320 };

function randomFrames(rng: Rng, count: number): AudioFrame[] {
  return Array.from({ length: count }, () => {
    const encoding = rng.pick(Object.values(Encoding));
    let length = rng.pick([0, 2, 160, 320, 322, 641, rng.int(400)]);
    if (encoding === Encoding.L16) length &= ~1;
    return {
      slot: rng.pick([0, 1, 2, 65535, rng.int(65536)]),
      direction: rng.pick(Object.values(Direction)),
      encoding,
      sampleRate: rng.pick(SAMPLE_RATES),
      seq: rng.next(),
      timestampMs: rng.next(),
      payload: rng.bytes(length),
    };
  });
}

function rawRecord(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + body.byteLength);
  writeRecordHeader(out, 0, kind, body.byteLength);
  out.set(body, RECORD_HEADER_BYTES);
  return out;
}
const json = (value: unknown) => encodeRecord(RecordKind.Control, new TextEncoder().encode(JSON.stringify(value)));

/** Valid messages to mutate: every record kind, every control type, frames of several calls. */
function corpus(rng: Rng): Uint8Array[] {
  const [a = "", b = ""] = CALLS;
  const start: ControlInput = {
    type: "call.start",
    callId: a,
    slot: 1,
    caller: { number: "+551130000000", name: "Maria" },
    destination: "1000",
    audio: { encoding: "L16", sampleRate: 16000 },
    variables: { domain_name: "pbx.example.com" },
  };
  const controls: ControlInput[] = [
    { type: "hello", protocolVersion: 1, minProtocolVersion: 1, software: "relay/1", capabilities: ["l16"] },
    {
      type: "welcome",
      protocolVersion: 1,
      relayId: "r1",
      limits: { maxRecordBytes: 1024, maxControlBytes: 512, maxFramesPerBundle: 8, maxFramePayloadBytes: 640, maxCalls: 10 },
      heartbeatIntervalMs: 2000,
    },
    start,
    { ...start, type: "call.resume", callId: b, slot: 2 },
    { type: "call.end", callId: a, reason: "hangup", cause: "NORMAL_CLEARING" },
    { type: "playback.clear", callId: a },
    { type: "playback.mark", callId: a, mark: "m1" },
    { type: "playback.event", callId: b, event: "finished", playedMs: 1200 },
    { type: "command", id: "c1", callId: a, name: "transfer", args: { to: "200", n: 1, b: true } },
    { type: "command.result", id: "c1", callId: a, ok: true, result: { x: [1, { y: null }] } },
    { type: "dtmf", callId: b, digit: "7", durationMs: 100 },
    { type: "error", code: "LINK_UNKNOWN_CALL", message: "no such call", consequence: "end-call", callId: b },
  ];
  const messages = controls.map((c) => encodeLinkMessage([c]));
  messages.push(
    encodeLinkMessage(controls.slice(0, 3), randomFrames(rng, 3)),
    encodeLinkMessage([start], randomFrames(rng, 5)),
    audioRecord(randomFrames(rng, 8)),
    audioRecord(randomFrames(rng, 1)),
    // Fits SMALL_LIMITS' record size with a payload over its frame limit.
    audioRecord([
      { slot: 5, direction: Direction.Up, encoding: Encoding.PCMU, sampleRate: 8000, seq: 1, timestampMs: 20, payload: rng.bytes(400) },
      { slot: 6, direction: Direction.Down, encoding: Encoding.L16, sampleRate: 8000, seq: 1, timestampMs: 20, payload: rng.bytes(160) },
    ]),
    audioRecord([]),
    concatBytes([rawRecord(9, rng.bytes(5)), json({ type: "call.transcript", callId: a }), audioRecord(randomFrames(rng, 2))]),
    // Already faulty in one call: a schema failure naming a call, and a bundle with a bad frame.
    concatBytes([json({ type: "dtmf", callId: a, digit: "xx" }), json({ type: "call.end", callId: b, reason: "x\ny" })]),
    encodeRecord(RecordKind.AudioBundle, badFrameBundle(rng)),
    new Uint8Array(0),
  );
  return messages;
}

/** A bundle of five frames, four of them bad in a different way each (encodeBundle writes what it is given). */
function badFrameBundle(rng: Rng): Uint8Array {
  const frame = (slot: number, over: object) =>
    ({ slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 8000, seq: slot, timestampMs: 0, payload: rng.bytes(4), ...over }) as AudioFrame;
  return encodeBundle([
    frame(1, { direction: 7 }),
    frame(2, { encoding: 9 }),
    frame(3, { sampleRate: 11025 }),
    frame(4, { payload: rng.bytes(5) }),
    frame(5, {}),
  ]);
}

/** Offsets of the u32 length fields of the records a message seems to hold, and of bundle/frame length fields. */
function lengthFields(bytes: Uint8Array): { at: number; size: 2 | 4 }[] {
  const fields: { at: number; size: 2 | 4 }[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= bytes.byteLength) {
    const length = view.getUint32(at + 2, true);
    fields.push({ at: at + 2, size: 4 });
    const body = at + RECORD_HEADER_BYTES;
    if (bytes[at + 1] === RecordKind.AudioBundle && body + 2 <= bytes.byteLength) {
      fields.push({ at: body, size: 2 });
      let f = body + 2;
      while (f + 16 <= Math.min(body + length, bytes.byteLength)) {
        fields.push({ at: f + 14, size: 2 });
        f += 16 + view.getUint16(f + 14, true);
      }
    }
    at = body + length;
  }
  return fields;
}

function recordBounds(bytes: Uint8Array): [number, number][] {
  const bounds: [number, number][] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= bytes.byteLength) {
    const end = at + RECORD_HEADER_BYTES + view.getUint32(at + 2, true);
    if (end > bytes.byteLength) break;
    bounds.push([at, end]);
    at = end;
  }
  return bounds;
}

const splice = (bytes: Uint8Array, at: number, remove: number, insert: Uint8Array) =>
  concatBytes([bytes.subarray(0, at), insert, bytes.subarray(Math.min(bytes.byteLength, at + remove))]);

function mutate(rng: Rng, input: Uint8Array, messages: readonly Uint8Array[]): Uint8Array {
  const bytes = input.slice();
  const n = bytes.byteLength;
  switch (rng.int(9)) {
    case 0: {
      for (let i = rng.int(4); i >= 0 && n > 0; i--) {
        const at = rng.int(n);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
      }
      return bytes;
    }
    case 1:
      return bytes.subarray(0, rng.int(n + 1));
    case 2:
      return splice(bytes, rng.int(n + 1), 0, rng.bytes(1 + rng.int(8)));
    case 3:
      return splice(bytes, rng.int(n + 1), 1 + rng.int(8), new Uint8Array(0));
    case 4:
    case 5: {
      const fields = lengthFields(bytes);
      if (fields.length === 0) return bytes;
      const { at, size } = rng.pick(fields);
      const view = new DataView(bytes.buffer);
      const old = size === 4 ? view.getUint32(at, true) : view.getUint16(at, true);
      const max = size === 4 ? 0xffffffff : 0xffff;
      const value = rng.pick([0, 1, max, rng.next() & max, old + 1, old - 1, old + 1 + rng.int(16), old - 1 - rng.int(16), 300, 301, 321, 600, 601]);
      if (size === 4) view.setUint32(at, value >>> 0, true);
      else view.setUint16(at, value & 0xffff, true);
      return bytes;
    }
    case 6: {
      const bounds = recordBounds(bytes);
      if (bounds.length === 0) return bytes;
      const [from, to] = rng.pick(bounds);
      const where = rng.int(2) === 0 ? rng.pick(bounds)[rng.int(2)] : rng.int(n + 1);
      return splice(bytes, where ?? 0, 0, bytes.slice(from, to));
    }
    case 7:
      return concatBytes(rng.int(2) === 0 ? [bytes, rng.pick(messages)] : [rng.pick(messages), bytes.subarray(rng.int(n + 1))]);
    default: {
      if (n > 0) bytes[rng.int(n)] = rng.pick([0x00, 0x01, 0x02, 0x03, 0x56, 0x7f, 0x80, 0xc0, 0xff, 0x22, 0x7b, 0x0a]);
      return bytes;
    }
  }
}

/** An input that was never valid: noise, or noise behind plausible record headers. */
function randomInput(rng: Rng): Uint8Array {
  if (rng.int(3) === 0) return rng.bytes(rng.int(96));
  const parts: Uint8Array[] = [];
  for (let r = 1 + rng.int(3); r > 0; r--) {
    const body = rng.int(2) === 0 ? rng.bytes(rng.int(64)) : new TextEncoder().encode(`{"type":"${rng.pick(["dtmf", "hello", "x", "call.end"])}","callId":"${rng.pick(CALLS)}"${rng.pick(["}", ",", "", "]}"])}`);
    parts.push(rawRecord(rng.pick([RecordKind.Control, RecordKind.AudioBundle, rng.int(256)]), body));
  }
  return concatBytes(parts);
}

const DECODER_CODES: ReadonlySet<string> = new Set([
  LinkErrorCode.BadMagic,
  LinkErrorCode.RecordTooLarge,
  LinkErrorCode.Truncated,
  LinkErrorCode.BundleMalformed,
  LinkErrorCode.BundleTooManyFrames,
  LinkErrorCode.ControlNotUtf8,
  LinkErrorCode.ControlNotJson,
  LinkErrorCode.ControlInvalid,
  LinkErrorCode.ControlTooLarge,
]);

/** Why a throw breaks the contract, or undefined when it is a proper close-link error. */
function badThrow(err: unknown): string | undefined {
  if (!(err instanceof LinkProtocolError)) return `threw ${String(err)}`;
  if (!isLinkErrorCode(err.code)) return `unknown code ${String(err.code)}`;
  if (err.consequence !== Consequence.CloseLink) return `${err.code} thrown with consequence ${err.consequence}`;
  // LINK_INTERNAL is how the codec wraps an unexpected exception: a bug, here.
  if (!DECODER_CODES.has(err.code)) return `decoder threw ${err.code}: ${err.message}`;
  return undefined;
}

/** Why the items break the contract, or undefined. Also a canonical text of them for comparison. */
function checkItems(items: readonly LinkItem[], seen: Set<string>): { problem?: string; text: string } {
  const out: string[] = [];
  for (const item of items) {
    seen.add(item.kind);
    if (item.kind === "error") {
      const e = item.error;
      if (!(e instanceof LinkProtocolError) || e.consequence !== Consequence.EndCall || !isLinkErrorCode(e.code)) {
        return { problem: `bad error item ${String(e)} (${e.consequence})`, text: "" };
      }
      const aboutFrame = e.code.startsWith("LINK_FRAME_") && Number.isInteger(e.slot);
      const aboutCall = e.code === LinkErrorCode.ControlInvalid && typeof e.callId === "string";
      if (!aboutFrame && !aboutCall) return { problem: `error item ${e.code} names no slot or call`, text: "" };
      seen.add(`end-call ${e.code}`);
      out.push(`E${e.code}/${String(e.slot)}/${String(e.callId)}`);
    } else if (item.kind === "audio") {
      const f = item.frame;
      out.push(`A${f.slot}/${f.direction}/${f.encoding}/${f.sampleRate}/${f.seq}/${f.timestampMs}/${Buffer.from(f.payload).toString("hex")}`);
    } else if (item.kind === "control") {
      out.push(`C${JSON.stringify(item.message)}`);
    } else {
      out.push(`I${item.what}`);
    }
  }
  return { text: out.join("\n") };
}

interface Outcome {
  items?: string;
  code?: string;
}

function decodeWhole(input: Uint8Array, limits: Partial<LinkLimits>, seen: Set<string>): Outcome | string {
  let items: LinkItem[];
  try {
    items = new LinkDecoder(limits).decodeMessage(input);
  } catch (err) {
    const bad = badThrow(err);
    if (bad) return `decodeMessage ${bad}`;
    seen.add((err as LinkProtocolError).code);
    return { code: (err as LinkProtocolError).code };
  }
  const { problem, text } = checkItems(items, seen);
  return problem ? `decodeMessage ${problem}` : { items: text };
}

function decodeChunked(rng: Rng, input: Uint8Array, limits: Partial<LinkLimits>, seen: Set<string>): Outcome | string {
  const decoder = new LinkDecoder(limits);
  const cuts = Array.from({ length: rng.int(6) }, () => rng.int(input.byteLength + 1)).sort((a, b) => a - b);
  const items: LinkItem[] = [];
  try {
    let from = 0;
    for (const cut of [...cuts, input.byteLength]) {
      items.push(...decoder.push(input.subarray(from, cut)));
      from = cut;
    }
    decoder.decodeMessage(new Uint8Array(0));
  } catch (err) {
    const bad = badThrow(err);
    if (bad) return `push ${bad}`;
    seen.add((err as LinkProtocolError).code);
    // A failed decoder stays failed: the link must close.
    try {
      decoder.push(new Uint8Array(0));
      return "push: decoder accepted input after a close-link error";
    } catch (again) {
      const badAgain = badThrow(again);
      if (badAgain) return `push after failure ${badAgain}`;
    }
    return { code: (err as LinkProtocolError).code };
  }
  const { problem, text } = checkItems(items, seen);
  return problem ? `push ${problem}` : { items: text };
}

describe("fuzz: link decoder", () => {
  it(`survives ${INPUTS.toLocaleString("en")} random and mutated inputs, whole and in random chunkings`, { timeout: 120_000 }, () => {
    const rng = new Rng(0x9e3779b9);
    const messages = corpus(rng);
    const seen = new Set<string>();
    const failures: string[] = [];
    for (let i = 0; i < INPUTS && failures.length < 5; i++) {
      let input: Uint8Array;
      if (rng.int(8) === 0) {
        input = randomInput(rng);
      } else {
        input = rng.pick(messages);
        for (let m = 1 + rng.int(3); m > 0; m--) input = mutate(rng, input, messages);
      }
      const limits = rng.int(3) === 0 ? SMALL_LIMITS : {};
      const whole = decodeWhole(input, limits, seen);
      const chunked = decodeChunked(rng, input, limits, seen);
      const where = `input #${i} (${input.byteLength} bytes: ${Buffer.from(input.subarray(0, 64)).toString("hex")})`;
      if (typeof whole === "string") failures.push(`${where}: ${whole}`);
      else if (typeof chunked === "string") failures.push(`${where}: ${chunked}`);
      // Chunking may change which error is found first, never whether the input is valid or what it holds.
      else if ((whole.items === undefined) !== (chunked.items === undefined)) {
        failures.push(`${where}: whole ${whole.code ?? "ok"} but chunked ${chunked.code ?? "ok"}`);
      } else if (whole.items !== chunked.items) failures.push(`${where}: whole and chunked items differ`);
    }
    expect(failures).toEqual([]);
    // The mutations must reach every path, or this test proves little.
    const expected = [
      ...DECODER_CODES,
      ...[
        LinkErrorCode.FrameBadDirection,
        LinkErrorCode.FrameBadEncoding,
        LinkErrorCode.FrameBadSampleRate,
        LinkErrorCode.FramePayloadTooLarge,
        LinkErrorCode.FramePayloadMisaligned,
        LinkErrorCode.ControlInvalid,
      ].map((c) => `end-call ${c}`),
      "control",
      "audio",
      "ignored",
      "error",
    ];
    expect(expected.filter((what) => !seen.has(what))).toEqual([]);
  });
});
