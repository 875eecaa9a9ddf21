import { describe, it, expect } from "vitest";
import { Direction, Encoding, type AudioFrame } from "./audio-frames.js";
import { audioRecord, controlRecord, encodeLinkMessage, LinkDecoder, type LinkItem } from "./codec.js";
import { encodeControl, type ControlInput, type ControlMessage, type ControlOf, type ControlType } from "./control.js";
import { Consequence, LinkErrorCode, LinkProtocolError } from "./errors.js";
import { concatBytes, encodeRecord, RecordKind } from "./records.js";

const CALL = "8d3c1e2f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
const OTHER = "AB12CD34-0000-1111-2222-333344445555";

/** One full message of every type: a new type must be added here to compile. */
const samples: { [K in ControlType]: ControlOf<K> } = {
  hello: { type: "hello", protocolVersion: 1, minProtocolVersion: 1, software: "vai-relay/0.1.0 (FreeSWITCH 1.10.12)", capabilities: ["l16", "pcmu", "resume"] },
  welcome: {
    type: "welcome",
    protocolVersion: 1,
    relayId: "relay-sp-01",
    limits: { maxRecordBytes: 1048576, maxControlBytes: 65536, maxFramesPerBundle: 2048, maxFramePayloadBytes: 65535, maxCalls: 1000 },
    heartbeatIntervalMs: 2000,
  },
  "call.start": {
    type: "call.start",
    callId: CALL,
    slot: 0,
    secretaryId: "11111111-2222-4333-8444-555555555555",
    domainId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
    domainName: "pbx.example.com.br",
    caller: { number: "+55 11 99999-0000", name: "José da Silva – Atendimento 😀" },
    destination: "3000",
    audio: { encoding: "L16", sampleRate: 16000 },
    variables: { sip_from_host: "10.0.0.1", "origination_caller_id_name": "Ação" },
  },
  "call.resume": { type: "call.resume", callId: OTHER, slot: 65535, caller: { number: "anonymous" }, audio: { encoding: "PCMU", sampleRate: 8000 } },
  "call.end": { type: "call.end", callId: CALL, reason: "hangup", cause: "NORMAL_CLEARING", code: "LINK_FRAME_BAD_ENCODING" },
  "playback.clear": { type: "playback.clear", callId: CALL, reason: "barge-in" },
  "playback.mark": { type: "playback.mark", callId: CALL, mark: "turn-3" },
  "playback.event": { type: "playback.event", callId: CALL, event: "mark", mark: "turn-3", playedMs: 0 },
  command: { type: "command", id: "cmd-1", callId: CALL, name: "transfer", args: { destination: "2000", context: "default", timeout: 30, bridge: true } },
  "command.result": {
    type: "command.result",
    id: "cmd-1",
    callId: CALL,
    ok: false,
    result: { nested: { deep: [1, "two", null] } },
    error: { code: "NO_ANSWER", message: "the extension did not answer" },
  },
  dtmf: { type: "dtmf", callId: CALL, digit: "#", durationMs: 120 },
  error: { type: "error", code: "LINK_UNKNOWN_CALL", message: "no call with that id", consequence: "end-call", callId: CALL },
};
const all = Object.values(samples) as ControlMessage[];

const utf8 = (s: string) => new TextEncoder().encode(s);
const jsonRecord = (value: unknown) => encodeRecord(RecordKind.Control, utf8(JSON.stringify(value)));
const frame: AudioFrame = { slot: 0, direction: Direction.Up, encoding: Encoding.PCMU, sampleRate: 8000, seq: 1, timestampMs: 20, payload: new Uint8Array([1, 2, 3]) };

function thrown(fn: () => unknown): LinkProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LinkProtocolError);
    return err as LinkProtocolError;
  }
  throw new Error("expected a LinkProtocolError");
}

function expectClose(bytes: Uint8Array, code: string, limits = {}) {
  const err = thrown(() => new LinkDecoder(limits).decodeMessage(bytes));
  expect(err.code).toBe(code);
  expect(err.consequence).toBe(Consequence.CloseLink);
}

/** The single end-call error a message decodes to, with everything else it held. */
function endCallError(items: readonly LinkItem[]): LinkProtocolError {
  const errors = items.flatMap((i) => (i.kind === "error" ? [i.error] : []));
  expect(errors).toHaveLength(1);
  const err = errors[0] as LinkProtocolError;
  expect(err).toBeInstanceOf(LinkProtocolError);
  expect(err.consequence).toBe(Consequence.EndCall);
  return err;
}

describe("control messages round-trip", () => {
  for (const message of all) {
    it(`round-trips ${message.type}`, () => {
      expect(new LinkDecoder().decodeMessage(encodeLinkMessage([message]))).toEqual([{ kind: "control", message }]);
    });
  }

  it("round-trips every type in one message, in order, followed by audio", () => {
    const items = new LinkDecoder().decodeMessage(encodeLinkMessage(all, [frame]));
    expect(items).toEqual([...all.map((message) => ({ kind: "control", message })), { kind: "audio", frame }]);
  });

  it("fills in defaults the sender left out", () => {
    const [item] = new LinkDecoder().decodeMessage(controlRecord({ type: "command", id: "c", callId: CALL, name: "hangup" }));
    expect(item).toEqual({ kind: "control", message: { type: "command", id: "c", callId: CALL, name: "hangup", args: {} } });
  });

  it("encodes JSON that names the type", () => {
    expect(JSON.parse(new TextDecoder().decode(encodeControl(samples.dtmf)))).toEqual(samples.dtmf);
  });
});

describe("forward compatibility", () => {
  it("ignores an unknown type and decodes the records after it", () => {
    const items = new LinkDecoder().decodeMessage(
      concatBytes([jsonRecord({ type: "call.transcript", callId: CALL, text: "x" }), jsonRecord({ type: "HELLO" }), controlRecord(samples.dtmf), audioRecord([frame])]),
    );
    expect(items).toEqual([
      { kind: "ignored", what: "control message of unknown type" },
      { kind: "ignored", what: "control message of unknown type" },
      { kind: "control", message: samples.dtmf },
      { kind: "audio", frame },
    ]);
  });

  it("tolerates unknown fields at any depth and drops them", () => {
    const start = samples["call.start"];
    const newer = { ...start, priority: 5, caller: { ...start.caller, verified: true }, audio: { ...start.audio, channels: 1 } };
    const welcome = { ...samples.welcome, limits: { ...samples.welcome.limits, maxDtmfPerSecond: 10 }, region: "gru" };
    expect(new LinkDecoder().decodeMessage(concatBytes([jsonRecord(newer), jsonRecord(welcome)]))).toEqual([
      { kind: "control", message: start },
      { kind: "control", message: samples.welcome },
    ]);
  });

  it("decodes uppercase UUIDs as sent", () => {
    const msg = { type: "dtmf", callId: CALL.toUpperCase(), digit: "A" } as const;
    expect(new LinkDecoder().decodeMessage(controlRecord(msg))).toEqual([{ kind: "control", message: msg }]);
  });
});

describe("malformed control records", () => {
  it("rejects invalid UTF-8 with LINK_CONTROL_NOT_UTF8", () => {
    const bad = [
      [0xff],
      [0x7b, 0xc0, 0x80, 0x7d], // overlong NUL
      [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d], // UTF-16 surrogate
      [0x7b, 0x22, 0xe2, 0x82], // cut inside a character
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    ];
    for (const bytes of bad) expectClose(encodeRecord(RecordKind.Control, new Uint8Array(bytes)), LinkErrorCode.ControlNotUtf8);
  });

  it("rejects text that is not JSON with LINK_CONTROL_NOT_JSON", () => {
    for (const text of ["", "{", "{'type':'hello'}", '{"type":"dtmf"} x', "undefined", "NaN"]) {
      expectClose(encodeRecord(RecordKind.Control, utf8(text)), LinkErrorCode.ControlNotJson);
    }
  });

  it("rejects JSON that is not an object with a string type with LINK_CONTROL_INVALID", () => {
    for (const value of [null, [], [samples.dtmf], 1, "hello", true, {}, { type: 1, callId: CALL }, { type: null }, { kind: "hello" }]) {
      expectClose(jsonRecord(value), LinkErrorCode.ControlInvalid);
    }
  });

  it("rejects a control message over maxControlBytes with LINK_CONTROL_TOO_LARGE", () => {
    const padded = (size: number) => {
      const base = JSON.stringify({ ...samples.dtmf, pad: "" });
      return encodeRecord(RecordKind.Control, utf8(base.replace('"pad":""', `"pad":"${"x".repeat(size - base.length)}"`)));
    };
    expect(new LinkDecoder({ maxControlBytes: 200 }).decodeMessage(padded(200))).toEqual([{ kind: "control", message: samples.dtmf }]);
    expectClose(padded(201), LinkErrorCode.ControlTooLarge, { maxControlBytes: 200 });
    // The default limit is below the record limit, so it is the control limit that trips.
    expectClose(padded(64 * 1024 + 1), LinkErrorCode.ControlTooLarge);
    // Even bytes that are not JSON at all are rejected for their size first.
    expectClose(encodeRecord(RecordKind.Control, new Uint8Array(201).fill(0xff)), LinkErrorCode.ControlTooLarge, { maxControlBytes: 200 });
  });
});

describe("schema failures", () => {
  const invalidWithCall: [string, object][] = [
    ["call.end without reason", { type: "call.end", callId: CALL }],
    ["call.start with slot 65536", { ...samples["call.start"], slot: 65536 }],
    ["call.start with a float slot", { ...samples["call.start"], slot: 1.5 }],
    ["call.resume with an unknown encoding", { ...samples["call.resume"], callId: CALL, audio: { encoding: "OPUS", sampleRate: 48000 } }],
    ["call.start with 65 variables", { ...samples["call.start"], variables: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`v${i}`, "x"])) }],
    ["dtmf with two digits", { type: "dtmf", callId: CALL, digit: "12" }],
    ["playback.event with an unknown event", { type: "playback.event", callId: CALL, event: "paused" }],
    ["command with an uppercase name", { type: "command", id: "1", callId: CALL, name: "Transfer" }],
    ["command.result without ok", { type: "command.result", id: "1", callId: CALL }],
  ];

  for (const [name, value] of invalidWithCall) {
    it(`reports ${name} as an end-call error for that call, and decodes on`, () => {
      const items = new LinkDecoder().decodeMessage(concatBytes([jsonRecord(value), controlRecord(samples["playback.mark"]), audioRecord([frame])]));
      const err = endCallError(items);
      expect(err.code).toBe(LinkErrorCode.ControlInvalid);
      expect(err.callId).toBe(CALL);
      expect(err.slot).toBeUndefined();
      expect(items[0]).toEqual({ kind: "error", error: err });
      expect(items.slice(1)).toEqual([
        { kind: "control", message: samples["playback.mark"] },
        { kind: "audio", frame },
      ]);
    });
  }

  const invalidWithoutCall: [string, object][] = [
    ["hello that names a call (a bad handshake is the link's problem)", { type: "hello", callId: CALL }],
    ["welcome that names a call", { type: "welcome", callId: CALL }],
    ["hello without software", { type: "hello", protocolVersion: 1, minProtocolVersion: 1, capabilities: [] }],
    ["welcome with a zero limit", { ...samples.welcome, limits: { ...samples.welcome.limits, maxCalls: 0 } }],
    ["error with an unknown consequence", { type: "error", code: "X", message: "y", consequence: "reboot" }],
    ["dtmf without callId", { type: "dtmf", digit: "1" }],
    ["dtmf with a callId that is not a UUID", { type: "dtmf", callId: "not-a-uuid", digit: "1" }],
    ["dtmf with a callId that is a number", { type: "dtmf", callId: 12345, digit: "1" }],
    ["call.end with a UUID plus a newline", { type: "call.end", callId: `${CALL}\n`, reason: "x" }],
  ];

  for (const [name, value] of invalidWithoutCall) {
    it(`closes the link for ${name}`, () => {
      expectClose(concatBytes([jsonRecord(value), controlRecord(samples.dtmf)]), LinkErrorCode.ControlInvalid);
    });
  }

  it("refuses to encode invalid messages with a TypeError", () => {
    const invalid = [
      { ...samples.dtmf, digit: "x" },
      { ...samples["call.start"], callId: "call-1" },
      { ...samples.hello, protocolVersion: 0 },
      { ...samples.welcome, heartbeatIntervalMs: 2.5 },
      { ...samples["playback.event"], playedMs: -1 },
      { ...samples.command, id: "" },
      { ...samples.command, args: { n: Number.POSITIVE_INFINITY } },
      { ...samples.error, callId: "" },
    ] as unknown as ControlInput[];
    for (const message of invalid) {
      expect(() => encodeControl(message)).toThrow(TypeError);
      expect(() => encodeLinkMessage([message])).toThrow(TypeError);
    }
  });
});

describe("hostile strings", () => {
  const hostile = ["a\r\nb", "\n", "a\u0000", "\u001b[2J", "tab\there", "\u007f", "\u0085next line", "\u009b31m"];
  const s = samples["call.start"];
  const setters: [string, (bad: string) => ControlInput][] = [
    ["hello.software", (bad) => ({ ...samples.hello, software: bad })],
    ["hello.capabilities", (bad) => ({ ...samples.hello, capabilities: ["l16", bad] })],
    ["welcome.relayId", (bad) => ({ ...samples.welcome, relayId: bad })],
    ["call.start.domainName", (bad) => ({ ...s, domainName: bad })],
    ["call.start.caller.number", (bad) => ({ ...s, caller: { number: bad } })],
    ["call.start.caller.name", (bad) => ({ ...s, caller: { number: "1", name: bad } })],
    ["call.start.destination", (bad) => ({ ...s, destination: bad })],
    ["call.start.variables key", (bad) => ({ ...s, variables: { [bad]: "v" } })],
    ["call.start.variables value", (bad) => ({ ...s, variables: { k: bad } })],
    ["call.resume.caller.number", (bad) => ({ ...samples["call.resume"], caller: { number: bad } })],
    ["call.end.reason", (bad) => ({ ...samples["call.end"], reason: bad })],
    ["call.end.cause", (bad) => ({ ...samples["call.end"], cause: `NORMAL_CLEARING${bad}` })],
    ["call.end.code", (bad) => ({ ...samples["call.end"], code: bad })],
    ["playback.clear.reason", (bad) => ({ ...samples["playback.clear"], reason: bad })],
    ["playback.mark.mark", (bad) => ({ ...samples["playback.mark"], mark: bad })],
    ["playback.event.mark", (bad) => ({ ...samples["playback.event"], mark: bad })],
    ["command.id", (bad) => ({ ...samples.command, id: bad })],
    ["command.name", (bad) => ({ ...samples.command, name: `transfer${bad}` })],
    ["command.args key", (bad) => ({ ...samples.command, args: { [bad]: "2000" } })],
    ["command.args value", (bad) => ({ ...samples.command, args: { destination: `2000${bad}` } })],
    ["command.result.id", (bad) => ({ ...samples["command.result"], id: bad })],
    ["command.result.error.code", (bad) => ({ ...samples["command.result"], error: { code: bad, message: "m" } })],
    ["command.result.error.message", (bad) => ({ ...samples["command.result"], error: { code: "c", message: bad } })],
    ["dtmf.digit", (bad) => ({ ...samples.dtmf, digit: `1${bad}` })],
    ["error.code", (bad) => ({ ...samples.error, code: bad })],
    ["error.message", (bad) => ({ ...samples.error, message: bad })],
  ];

  for (const [field, set] of setters) {
    it(`rejects control characters in ${field}`, () => {
      for (const bad of hostile) {
        const message = set(bad);
        expect(() => encodeControl(message)).toThrow(TypeError);
        // The same message from a peer that does not validate ends the call it
        // names, or closes the link when it names none.
        const callId = "callId" in message ? message.callId : undefined;
        if (callId === undefined) {
          expectClose(jsonRecord(message), LinkErrorCode.ControlInvalid);
        } else {
          const err = endCallError(new LinkDecoder().decodeMessage(jsonRecord(message)));
          expect(err.code).toBe(LinkErrorCode.ControlInvalid);
          expect(err.callId).toBe(callId);
        }
      }
    });
  }

  it("accepts printable text in any script", () => {
    const text = "Olá, 你好, مرحبا, 🎉 — ok";
    const message = { ...samples["playback.mark"], mark: text };
    expect(new LinkDecoder().decodeMessage(controlRecord(message))).toEqual([{ kind: "control", message }]);
  });
});
