import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { decodeBundle, Direction, Encoding, encodeBundle, FRAME_HEADER_BYTES, SAMPLE_RATES, type AudioFrame } from "./audio-frames.js";
import { audioRecord, encodeLinkMessage, LinkDecoder, type LinkItem } from "./codec.js";
import type { ControlMessage } from "./control.js";
import { Consequence, LinkErrorCode } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { concatBytes } from "./records.js";

// Fixed seeds: a failure reproduces on every run and every machine.
const params = (seed: number, numRuns = 200) => ({ seed, numRuns });

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Any UTF-16 code unit: JSON carries lone surrogates as escapes. */
const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Printable text of at most `max` UTF-16 units, over all of Unicode (lone surrogates included). */
const text = (max: number, min = 0) =>
  fc
    .oneof(
      fc.string({ maxLength: max }),
      fc.string({ unit: "grapheme", maxLength: max }),
      fc.string({ unit: "binary", maxLength: max }),
      fc.string({ unit: utf16Unit, maxLength: max }),
    )
    .map((s) => s.replace(CONTROL_CHARS, "").slice(0, max))
    .filter((s) => s.length >= min);
const uuid = fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u));
const positive = fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.maxSafeNat().filter((n) => n > 0));
const nonNegative = fc.oneof(fc.nat(100_000), fc.maxSafeNat());
const slot = fc.integer({ min: 0, max: 0xffff });
const u16Positive = fc.integer({ min: 1, max: 0xffff });
/** JSON numbers that survive a round trip (-0 comes back as 0). */
const jsonNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).filter((n) => !Object.is(n, -0));

function optional<T extends Record<string, unknown>>(required: (keyof T)[], model: { [K in keyof T]: fc.Arbitrary<T[K]> }) {
  return fc.record(model, { requiredKeys: required });
}

const audioFormat = fc.record({ encoding: fc.constantFrom("L16" as const, "PCMU" as const, "PCMA" as const), sampleRate: fc.constantFrom(...SAMPLE_RATES) });

const callInfo = {
  callId: uuid,
  slot,
  secretaryId: uuid,
  domainId: uuid,
  domainName: text(253),
  caller: fc.record({ number: text(64), name: text(128) }, { requiredKeys: ["number"] }),
  destination: text(64),
  audio: audioFormat,
  variables: fc.dictionary(text(64), text(512), { maxKeys: 64 }),
};
const callInfoRequired = ["type", "callId", "slot", "caller", "audio"] as const;

const control: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({
    type: fc.constant("hello" as const),
    protocolVersion: positive,
    minProtocolVersion: positive,
    software: text(100),
    capabilities: fc.array(text(64), { maxLength: 64 }),
  }),
  fc.record({
    type: fc.constant("welcome" as const),
    protocolVersion: positive,
    relayId: text(128),
    limits: fc.record({ maxRecordBytes: positive, maxControlBytes: positive, maxFramesPerBundle: u16Positive, maxFramePayloadBytes: u16Positive, maxCalls: positive }),
    heartbeatIntervalMs: positive,
  }),
  optional([...callInfoRequired], { type: fc.constant("call.start" as const), ...callInfo }),
  optional([...callInfoRequired], { type: fc.constant("call.resume" as const), ...callInfo }),
  optional(["type", "callId", "reason"], {
    type: fc.constant("call.end" as const),
    callId: uuid,
    reason: text(64),
    cause: fc.stringMatching(/^[A-Z_]{1,48}$/),
    code: text(64),
  }),
  optional(["type", "callId"], { type: fc.constant("playback.clear" as const), callId: uuid, reason: text(64) }),
  fc.record({ type: fc.constant("playback.mark" as const), callId: uuid, mark: text(64) }),
  optional(["type", "callId", "event"], {
    type: fc.constant("playback.event" as const),
    callId: uuid,
    event: fc.constantFrom("started" as const, "finished" as const, "mark" as const, "cleared" as const),
    mark: text(64),
    playedMs: nonNegative,
  }),
  fc.record({
    type: fc.constant("command" as const),
    id: text(64, 1),
    callId: uuid,
    name: fc.stringMatching(/^[a-z_]{1,32}$/),
    args: fc.dictionary(text(32), fc.oneof(text(256), jsonNumber, fc.boolean()), { maxKeys: 8 }),
  }),
  optional(["type", "id", "callId", "ok"], {
    type: fc.constant("command.result" as const),
    id: text(64, 1),
    callId: uuid,
    ok: fc.boolean(),
    result: fc.dictionary(fc.string({ maxLength: 64 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
    error: fc.record({ code: text(64), message: text(1000) }),
  }),
  optional(["type", "callId", "digit"], {
    type: fc.constant("dtmf" as const),
    callId: uuid,
    digit: fc.stringMatching(/^[0-9*#A-Da-d]$/),
    durationMs: nonNegative,
  }),
  optional(["type", "code", "message", "consequence"], {
    type: fc.constant("error" as const),
    code: text(64),
    message: text(1000),
    consequence: fc.constantFrom(Consequence.EndCall, Consequence.CloseLink),
    callId: uuid,
  }),
);

const frame: fc.Arbitrary<AudioFrame> = fc
  .record({
    slot,
    direction: fc.constantFrom(...Object.values(Direction)),
    encoding: fc.constantFrom(...Object.values(Encoding)),
    sampleRate: fc.constantFrom(...SAMPLE_RATES),
    seq: fc.nat({ max: 0xffffffff }),
    timestampMs: fc.nat({ max: 0xffffffff }),
    payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 300, maxLength: 2000 })),
  })
  .map((f) => (f.encoding === Encoding.L16 && f.payload.byteLength % 2 === 1 ? { ...f, payload: f.payload.subarray(1) } : f));

const message = fc.record({ controls: fc.array(control, { maxLength: 4 }), frames: fc.array(frame, { maxLength: 12 }) });

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
/** Items as plain data (payloads as hex) for a fast, exact comparison. */
function plain(items: readonly LinkItem[]): unknown[] {
  return items.map((i) => (i.kind === "audio" ? { ...i, frame: { ...i.frame, payload: hex(i.frame.payload) } } : i));
}
function expectedItems(controls: readonly ControlMessage[], frames: readonly AudioFrame[]): unknown[] {
  return plain([...controls.map((m): LinkItem => ({ kind: "control", message: m })), ...frames.map((f): LinkItem => ({ kind: "audio", frame: f }))]);
}

/** Random cut points for `bytes`, as an arbitrary of sorted offsets. */
function chunked(bytes: Uint8Array): fc.Arbitrary<number[]> {
  return fc.uniqueArray(fc.integer({ min: 0, max: bytes.byteLength }), { maxLength: 16 }).map((p) => p.sort((a, b) => a - b));
}
function pushChunks(decoder: LinkDecoder, bytes: Uint8Array, points: readonly number[]): LinkItem[] {
  const items: LinkItem[] = [];
  let from = 0;
  for (const p of [...points, bytes.byteLength]) {
    items.push(...decoder.push(bytes.subarray(from, p)));
    from = p;
  }
  return items;
}

describe("property: round trips", () => {
  it("any bundle of valid frames decodes to the same frames, byte for byte", () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 40 }), (frames) => {
        const items = new LinkDecoder().decodeMessage(audioRecord(frames));
        expect(plain(items)).toEqual(expectedItems([], frames));
      }),
      params(0x5eed01),
    );
  });

  it("any valid control messages decode to the same messages", () => {
    fc.assert(
      fc.property(fc.array(control, { minLength: 1, maxLength: 6 }), (controls) => {
        expect(new LinkDecoder().decodeMessage(encodeLinkMessage(controls))).toEqual(controls.map((m) => ({ kind: "control", message: m })));
      }),
      params(0x5eed02, 500),
    );
  });

  it("any message decodes the same when its bytes arrive in any chunking", () => {
    fc.assert(
      fc.property(
        message.chain((m) => {
          const bytes = encodeLinkMessage(m.controls, m.frames);
          return fc.tuple(fc.constant(m), fc.constant(bytes), chunked(bytes));
        }),
        ([m, bytes, points]) => {
          const decoder = new LinkDecoder();
          expect(plain(pushChunks(decoder, bytes, points))).toEqual(expectedItems(m.controls, m.frames));
          expect(decoder.decodeMessage(new Uint8Array(0))).toEqual([]);
        },
      ),
      params(0x5eed03),
    );
  });

  it("several messages in one stream decode in order, in any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 2, maxLength: 4 }).chain((ms) => {
          const bytes = concatBytes(ms.map((m) => encodeLinkMessage(m.controls, m.frames)));
          return fc.tuple(fc.constant(ms), fc.constant(bytes), chunked(bytes));
        }),
        ([ms, bytes, points]) => {
          const decoder = new LinkDecoder();
          expect(plain(pushChunks(decoder, bytes, points))).toEqual(ms.flatMap((m) => expectedItems(m.controls, m.frames)));
          expect(decoder.decodeMessage(new Uint8Array(0))).toEqual([]);
        },
      ),
      params(0x5eed04, 100),
    );
  });
});

describe("property: bundles with arbitrary frame headers", () => {
  const rawFrame = fc.record({
    slot,
    direction: fc.oneof(fc.constantFrom(0, 1), fc.nat(255)),
    encoding: fc.oneof(fc.constantFrom(1, 2, 3), fc.nat(255)),
    sampleRate: fc.oneof(fc.constantFrom(...SAMPLE_RATES), fc.nat(0xffff)),
    payload: fc.uint8Array({ maxLength: 48 }),
  });

  it("reports every frame as either audio or an end-call error with its slot, in order", () => {
    fc.assert(
      fc.property(fc.array(rawFrame, { maxLength: 30 }), fc.integer({ min: 1, max: 48 }), (raws, maxFramePayloadBytes) => {
        // encodeBundle writes the header values as given; the types only guard honest callers.
        const body = encodeBundle(raws.map((r) => ({ ...r, seq: 0, timestampMs: 0 }) as unknown as AudioFrame));
        const { frames, errors } = decodeBundle(body, { ...DEFAULT_LIMITS, maxFramePayloadBytes });
        const valid = raws.filter(
          (r) =>
            (r.direction === 0 || r.direction === 1) &&
            r.encoding >= 1 &&
            r.encoding <= 3 &&
            (SAMPLE_RATES as readonly number[]).includes(r.sampleRate) &&
            r.payload.byteLength <= maxFramePayloadBytes &&
            !(r.encoding === Encoding.L16 && r.payload.byteLength % 2 === 1),
        );
        const invalid = raws.filter((r) => !valid.includes(r));
        expect(frames.map((f) => [f.slot, f.direction, f.encoding, f.sampleRate, hex(f.payload)])).toEqual(
          valid.map((r) => [r.slot, r.direction, r.encoding, r.sampleRate, hex(r.payload)]),
        );
        expect(errors.map((e) => e.slot)).toEqual(invalid.map((r) => r.slot));
        for (const e of errors) {
          expect(e.consequence).toBe(Consequence.EndCall);
          expect(e.code.startsWith("LINK_FRAME_")).toBe(true);
        }
        expect(body.byteLength).toBe(2 + raws.reduce((n, r) => n + FRAME_HEADER_BYTES + r.payload.byteLength, 0));
      }),
      params(0x5eed05, 300),
    );
  });

  it("never reports a frame that was cut short as audio", () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), fc.nat(), (frames, cutSeed) => {
        const body = encodeBundle(frames);
        const cut = 2 + (cutSeed % (body.byteLength - 2));
        try {
          decodeBundle(body.subarray(0, cut), DEFAULT_LIMITS);
        } catch (err) {
          expect((err as { code?: string }).code).toBe(LinkErrorCode.BundleMalformed);
          return;
        }
        throw new Error(`a bundle cut at ${cut} of ${body.byteLength} bytes decoded`);
      }),
      params(0x5eed06, 300),
    );
  });
});
