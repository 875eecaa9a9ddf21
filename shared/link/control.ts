/**
 * Control messages: JSON in Control records, validated with zod and decoded
 * into a discriminated union. Types are named once in {@link ControlType};
 * an unknown type decodes to `undefined` (ignored), so a newer peer can add
 * messages without breaking an older one. Versioning is by adding: fields
 * added later are optional.
 */
import { z } from "zod";
import { Consequence, LinkErrorCode, LinkProtocolError, linkError } from "./errors.js";
import { MAX_SLOT, SAMPLE_RATES } from "./audio-frames.js";

export const ControlType = {
  Hello: "hello",
  Welcome: "welcome",
  CallStart: "call.start",
  CallResume: "call.resume",
  CallEnd: "call.end",
  PlaybackClear: "playback.clear",
  PlaybackMark: "playback.mark",
  PlaybackEvent: "playback.event",
  Command: "command",
  CommandResult: "command.result",
  Dtmf: "dtmf",
  Error: "error",
} as const;
export type ControlType = (typeof ControlType)[keyof typeof ControlType];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A UUID as FreeSWITCH and FusionPBX write them (any version, any case). */
export const uuid = z.string().regex(UUID_RE, "must be a UUID");
/**
 * Short printable text: no control characters (C0, DEL and C1, where U+0085
 * is a line break), so that nothing a peer sends can split a line of an ESL
 * command or a log.
 */
const text = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, "must not contain control characters");

export const audioFormatSchema = z.object({
  encoding: z.enum(["L16", "PCMU", "PCMA"]),
  sampleRate: z.union(SAMPLE_RATES.map((r) => z.literal(r)) as [z.ZodLiteral<8000>, ...z.ZodLiteral<(typeof SAMPLE_RATES)[number]>[]]),
});
export type AudioFormat = z.infer<typeof audioFormatSchema>;

const limitsSchema = z.object({
  maxRecordBytes: z.number().int().positive(),
  maxControlBytes: z.number().int().positive(),
  maxFramesPerBundle: z.number().int().positive().max(0xffff),
  maxFramePayloadBytes: z.number().int().positive().max(0xffff),
  maxCalls: z.number().int().positive(),
});

const callInfo = {
  callId: uuid,
  slot: z.number().int().min(0).max(MAX_SLOT),
  /** Absent on the older stream URL (`/stream/<domain>/<call>`) until the channel variables name it. */
  secretaryId: uuid.optional(),
  domainId: uuid.optional(),
  domainName: text(253).optional(),
  caller: z.object({ number: text(64), name: text(128).optional() }),
  destination: text(64).optional(),
  audio: audioFormatSchema,
  /** Channel variables the cloud may need (a bounded, filtered set). */
  variables: z.record(text(64), text(512)).refine((v) => Object.keys(v).length <= 64, "at most 64 variables").optional(),
};

const schemas = {
  [ControlType.Hello]: z.object({
    type: z.literal(ControlType.Hello),
    protocolVersion: z.number().int().positive(),
    minProtocolVersion: z.number().int().positive(),
    software: text(100),
    capabilities: z.array(text(64)).max(64),
  }),
  [ControlType.Welcome]: z.object({
    type: z.literal(ControlType.Welcome),
    protocolVersion: z.number().int().positive(),
    /** The relay's identity, as the cloud derived it from the token. */
    relayId: text(128),
    limits: limitsSchema,
    heartbeatIntervalMs: z.number().int().positive(),
  }),
  [ControlType.CallStart]: z.object({ type: z.literal(ControlType.CallStart), ...callInfo }),
  /** After a reconnect: the same call, same slot, continues on the same CallSession. */
  [ControlType.CallResume]: z.object({ type: z.literal(ControlType.CallResume), ...callInfo }),
  [ControlType.CallEnd]: z.object({
    type: z.literal(ControlType.CallEnd),
    callId: uuid,
    reason: text(64),
    /** FreeSWITCH hangup cause, when the call ended there. */
    cause: z.string().regex(/^[A-Z_]{1,48}$/).optional(),
    /** A link error code when the call ended because of one. */
    code: text(64).optional(),
  }),
  [ControlType.PlaybackClear]: z.object({ type: z.literal(ControlType.PlaybackClear), callId: uuid, reason: text(64).optional() }),
  [ControlType.PlaybackMark]: z.object({ type: z.literal(ControlType.PlaybackMark), callId: uuid, mark: text(64) }),
  [ControlType.PlaybackEvent]: z.object({
    type: z.literal(ControlType.PlaybackEvent),
    callId: uuid,
    event: z.enum(["started", "finished", "mark", "cleared"]),
    mark: text(64).optional(),
    /** Milliseconds of agent audio actually played so far (for truncation on barge-in). */
    playedMs: z.number().int().nonnegative().optional(),
  }),
  [ControlType.Command]: z.object({
    type: z.literal(ControlType.Command),
    id: text(64).min(1),
    callId: uuid,
    /** Validated against the relay's allow-list by the relay, never passed through. */
    name: z.string().regex(/^[a-z_]{1,32}$/),
    /** Arguments may reach FreeSWITCH (ESL) commands on the relay: text only, like every other string. */
    args: z.record(text(32), z.union([text(256), z.number(), z.boolean()])).default({}),
  }),
  [ControlType.CommandResult]: z.object({
    type: z.literal(ControlType.CommandResult),
    id: text(64).min(1),
    callId: uuid,
    ok: z.boolean(),
    result: z.record(z.string().max(64), z.unknown()).optional(),
    error: z.object({ code: text(64), message: text(1000) }).optional(),
  }),
  [ControlType.Dtmf]: z.object({
    type: z.literal(ControlType.Dtmf),
    callId: uuid,
    digit: z.string().regex(/^[0-9*#A-Da-d]$/),
    durationMs: z.number().int().nonnegative().optional(),
  }),
  [ControlType.Error]: z.object({
    type: z.literal(ControlType.Error),
    code: text(64),
    message: text(1000),
    consequence: z.enum([Consequence.EndCall, Consequence.CloseLink]),
    callId: uuid.optional(),
  }),
} as const;

type Schemas = typeof schemas;
/** Every control message, discriminated by `type`. */
export type ControlMessage = { [K in ControlType]: z.output<Schemas[K]> }[ControlType];
/** The message of one type. */
export type ControlOf<T extends ControlType> = Extract<ControlMessage, { type: T }>;
/** What a sender writes (defaults may be omitted). */
export type ControlInput = { [K in ControlType]: z.input<Schemas[K]> }[ControlType];

const knownTypes: ReadonlySet<string> = new Set(Object.values(ControlType));
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a Control record body. Returns `undefined` for a message type this
 * side does not know (ignore it). Throws {@link LinkProtocolError}: end-call
 * when the message names a call, close-link otherwise.
 */
export function decodeControl(body: Uint8Array, maxControlBytes: number): ControlMessage | undefined {
  if (body.byteLength > maxControlBytes) {
    throw linkError(LinkErrorCode.ControlTooLarge, `control message of ${body.byteLength} bytes exceeds ${maxControlBytes}`);
  }
  let textBody: string;
  try {
    textBody = decoder.decode(body);
  } catch {
    throw linkError(LinkErrorCode.ControlNotUtf8, "control message is not valid UTF-8");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(textBody);
  } catch {
    throw linkError(LinkErrorCode.ControlNotJson, "control message is not JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw linkError(LinkErrorCode.ControlInvalid, "control message is not a JSON object");
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string") throw linkError(LinkErrorCode.ControlInvalid, "control message has no string `type`");
  if (!knownTypes.has(type)) return undefined;
  const parsed = schemas[type as ControlType].safeParse(raw);
  if (parsed.success) return parsed.data as ControlMessage;
  const callId = (raw as { callId?: unknown }).callId;
  const detail = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  // Only messages about one call can cost just that call; a bad handshake is the link's problem.
  if (typeof callId === "string" && UUID_RE.test(callId) && type !== ControlType.Hello && type !== ControlType.Welcome) {
    throw new LinkProtocolError(LinkErrorCode.ControlInvalid, Consequence.EndCall, `${type}: ${detail}`, undefined, callId);
  }
  throw linkError(LinkErrorCode.ControlInvalid, `${type}: ${detail}`);
}

/**
 * Encodes a control message after validating it, so that a bug on our side
 * shows up here rather than as a rejection by the peer.
 */
export function encodeControl(message: ControlInput): Uint8Array {
  const parsed = schemas[message.type].safeParse(message);
  if (!parsed.success) {
    throw new TypeError(`refusing to send invalid ${message.type}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return encoder.encode(JSON.stringify(parsed.data));
}
