/**
 * Typed commands from the cloud, turned into FreeSWITCH API commands through
 * an allow-list. Pure. The cloud never sends event-socket text (see
 * shared/FREESWITCH.md, "never reachable"): it names one of
 * {@link CLOUD_COMMANDS}; every argument is checked against a pattern and a
 * length; the command text is built here; and {@link renderApi} checks the
 * result once more (known API, UUID first, plain tokens only) before any of
 * it reaches a socket. No value may hold a space, CR/LF, `$`, `{`, a quote
 * or a colon, so `${...}` expansion, `app::arg`, `inline` dialplans (but
 * the relay's own fixed {@link recall}) and a second command line are all
 * out of reach.
 */

import { MAX_TRANSFER_DESTINATIONS } from "../../shared/link/index.js";

/** The commands the cloud may send (`command.name`). */
export const CLOUD_COMMANDS = ["transfer", "hangup", "clear_playback", "presence"] as const;
export type CloudCommand = (typeof CLOUD_COMMANDS)[number];

/** Stable error codes of command.result. */
export const CommandError = {
  Unknown: "COMMAND_UNKNOWN",
  BadArgument: "COMMAND_BAD_ARGUMENT",
  NotPermitted: "COMMAND_NOT_PERMITTED",
  NotOwned: "COMMAND_CALL_NOT_OWNED",
  CallNotReady: "COMMAND_CALL_NOT_READY",
  EslUnavailable: "ESL_UNAVAILABLE",
  EslTimeout: "ESL_TIMEOUT",
  EslDisconnected: "ESL_DISCONNECTED",
  EslRefused: "ESL_REFUSED",
  /** A supervised transfer: nobody answered within its timeout; the caller is back. */
  TransferNoAnswer: "TRANSFER_NO_ANSWER",
  /** A supervised transfer: the target was busy (or rejected the call); the caller is back. */
  TransferBusy: "TRANSFER_BUSY",
  /** A supervised transfer: the bridge failed for another reason; the caller is back. */
  TransferFailed: "TRANSFER_FAILED",
  /** The caller hung up while the transfer rang. */
  CallEnded: "CALL_ENDED",
} as const;

/** The API commands the relay itself ever sends, and nothing else. */
export const ALLOWED_APIS = ["uuid_break", "uuid_kill", "uuid_transfer", "uuid_audio_stream", "sofia_contact", "user_exists", "module_exists", "status"] as const;
export type AllowedApi = (typeof ALLOWED_APIS)[number];

/** One API command: an allow-listed name and plain tokens. */
export interface ApiCommand {
  api: AllowedApi;
  args: string[];
}

/** What the relay knows of the call a command is for (from its channel data). */
export interface CallFacts {
  callId: string;
  /** The dialplan context the call runs in (`Caller-Context`). */
  context?: string;
  /** `variable_domain_name`: presence is only asked within the call's own domain. */
  domainName?: string;
}

/** A validated command, ready to run. */
export type CommandPlan =
  /**
   * `timeoutMs` set: a supervised transfer. The relay watches the bridge on the
   * call's event socket; unanswered within `timeoutMs` (or busy), it takes the
   * caller back with `recall` and the cloud's AI carries on.
   */
  | { name: "transfer"; destination: string; context: string; timeoutMs?: number; steps: ApiCommand[]; recall: ApiCommand }
  | { name: "hangup"; cause: string; steps: ApiCommand[] }
  | { name: "clear_playback"; steps: ApiCommand[] }
  | { name: "presence"; extension: string; domain: string; steps: ApiCommand[] };

export type PlanResult = { ok: true; plan: CommandPlan } | { ok: false; code: string; message: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An extension or feature code: digits, letters, `*#+._-`, not starting with `-` (uuid_transfer reads `-bleg`). */
const EXTENSION_RE = /^[0-9A-Za-z*#+][0-9A-Za-z*#+._-]{0,31}$/;
/** A dialplan context (FusionPBX names them after the domain). */
const CONTEXT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const DOMAIN_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;
/** Words with a meaning of their own where a destination or context goes. */
const RESERVED = new Set(["inline", "xml", "-bleg", "-both", "bleg", "both", "all", "enum", "lua", "system"]);
const EXT_SRC = "[0-9A-Za-z*#+][0-9A-Za-z*#+._-]{0,31}";
const DOMAIN_SRC = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*";
/** Exactly what {@link ringAllCommand} writes, and nothing else, where an inline dialplan goes. */
const RING_ALL_RE = new RegExp(
  `^m:\\^:set:continue_on_fail=true\\^set:hangup_after_bridge=true\\^bridge:user/${EXT_SRC}@${DOMAIN_SRC}(?:,user/${EXT_SRC}@${DOMAIN_SRC}){1,${MAX_TRANSFER_DESTINATIONS - 1}}\\^park$`,
);
/** How long a supervised transfer may ring, seconds. */
export const TRANSFER_TIMEOUT_SECONDS = [5, 300] as const;
/** The last gate: what any API argument may look like. No space, CR/LF, `$`, braces, quotes or colon. */
const SAFE_TOKEN = /^[A-Za-z0-9*#+@._/=-]{1,256}$/;

/** Q.850 causes a secretary may hang up with (a subset FreeSWITCH names). */
export const HANGUP_CAUSES: ReadonlySet<string> = new Set([
  "NORMAL_CLEARING",
  "USER_BUSY",
  "NO_ANSWER",
  "CALL_REJECTED",
  "NORMAL_TEMPORARY_FAILURE",
  "SERVICE_UNAVAILABLE",
  "NO_USER_RESPONSE",
  "ORIGINATOR_CANCEL",
]);

type Args = Readonly<Record<string, unknown>>;
type Check<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const bad = (message: string): { ok: false; code: string; message: string } => ({ ok: false, code: CommandError.BadArgument, message });

/** Validates one cloud command for one call and plans its API commands. */
export function planCommand(name: string, args: Args, call: CallFacts): PlanResult {
  if (!UUID_RE.test(call.callId)) return bad("call id is not a UUID");
  const callId = call.callId.toLowerCase();
  switch (name) {
    case "transfer": {
      if (args.destinations !== undefined) return planRingAll(args, call, callId);
      const extra = onlyKeys(args, ["destination", "context", "timeoutSeconds"]);
      if (extra) return extra;
      const timeout = args.timeoutSeconds === undefined ? undefined : seconds(args.timeoutSeconds, TRANSFER_TIMEOUT_SECONDS);
      if (timeout && !timeout.ok) return timeout;
      const destination = extension(args.destination, "destination");
      if (!destination.ok) return destination;
      const context = args.context === undefined ? contextOf(call) : pattern(args.context, CONTEXT_RE, "context");
      if (!context.ok) return context;
      if (RESERVED.has(context.value.toLowerCase())) return bad("context is a reserved word");
      // The stream would otherwise keep listening to the people talking after the handoff.
      const steps: ApiCommand[] = [
        { api: "uuid_transfer", args: [callId, destination.value, "XML", context.value] },
        stopStream(callId),
      ];
      const timeoutMs = timeout ? timeout.value * 1000 : undefined;
      return { ok: true, plan: { name, destination: destination.value, context: context.value, ...(timeoutMs ? { timeoutMs } : {}), steps, recall: recall(callId) } };
    }
    case "hangup": {
      const extra = onlyKeys(args, ["cause"]);
      if (extra) return extra;
      const cause = args.cause === undefined ? "NORMAL_CLEARING" : args.cause;
      if (typeof cause !== "string" || !HANGUP_CAUSES.has(cause)) return bad(`cause must be one of ${[...HANGUP_CAUSES].join(", ")}`);
      return { ok: true, plan: { name, cause, steps: [{ api: "uuid_kill", args: [callId, cause] }] } };
    }
    case "clear_playback": {
      const extra = onlyKeys(args, []);
      if (extra) return extra;
      return { ok: true, plan: { name, steps: [breakAll(callId)] } };
    }
    case "presence": {
      const extra = onlyKeys(args, ["extension", "domain"]);
      if (extra) return extra;
      const ext = extension(args.extension, "extension");
      if (!ext.ok) return ext;
      const known = domainOf(call);
      if (!known.ok) return known;
      const domain = known.value;
      if (args.domain !== undefined && (typeof args.domain !== "string" || args.domain.toLowerCase() !== domain)) {
        return { ok: false, code: CommandError.NotPermitted, message: "presence only within the call's own domain" };
      }
      const steps: ApiCommand[] = [
        { api: "user_exists", args: ["id", ext.value, domain] },
        { api: "sofia_contact", args: [`*/${ext.value}@${domain}`] },
      ];
      return { ok: true, plan: { name, extension: ext.value, domain, steps } };
    }
    default:
      return { ok: false, code: CommandError.Unknown, message: "not a command this relay runs" };
  }
}

/**
 * `transfer` with `destinations` ("200,201"): ring them all at once, the first
 * to answer takes the call (OmniPlay's ring_all). Always supervised: when
 * nobody takes it, the caller must come back to the AI. Runs as the relay's
 * own inline dialplan (see {@link ringAllCommand}), in the call's own domain.
 */
function planRingAll(args: Args, call: CallFacts, callId: string): PlanResult {
  const extra = onlyKeys(args, ["destinations", "timeoutSeconds"]);
  if (extra) return extra;
  if (args.timeoutSeconds === undefined) return bad("destinations needs timeoutSeconds: a ring-all transfer is always supervised");
  const timeout = seconds(args.timeoutSeconds, TRANSFER_TIMEOUT_SECONDS);
  if (!timeout.ok) return timeout;
  if (typeof args.destinations !== "string") return bad("destinations must be text: extensions separated by commas");
  const list = args.destinations.split(",");
  if (list.length < 2 || list.length > MAX_TRANSFER_DESTINATIONS) return bad(`destinations must name 2 to ${MAX_TRANSFER_DESTINATIONS} extensions`);
  const extensions: string[] = [];
  for (const item of list) {
    const ext = extension(item, "each destination");
    if (!ext.ok) return ext;
    if (extensions.includes(ext.value)) return bad("destinations must not repeat an extension");
    extensions.push(ext.value);
  }
  const domain = domainOf(call);
  if (!domain.ok) return domain;
  const steps: ApiCommand[] = [ringAllCommand(callId, extensions, domain.value), stopStream(callId)];
  return { ok: true, plan: { name: "transfer", destination: extensions.join(","), context: "inline", timeoutMs: timeout.value * 1000, steps, recall: recall(callId) } };
}

/**
 * The ring-all transfer as an inline dialplan (`m:^:` makes `^` the
 * separator, so the bridge's `,` means "at once"): keep going when the bridge
 * fails, hang up when the person does, ring every `user/<ext>@<domain>`,
 * and park if nobody took it (the relay then takes the caller back).
 */
export function ringAllCommand(callId: string, extensions: readonly string[], domain: string): ApiCommand {
  const bridge = extensions.map((e) => `user/${e}@${domain}`).join(",");
  return { api: "uuid_transfer", args: [callId, `m:^:set:continue_on_fail=true^set:hangup_after_bridge=true^bridge:${bridge}^park`, "inline"] };
}

/** `uuid_audio_stream <uuid> stop`: after a handover the stream would go on listening to the people talking. */
export function stopStream(callId: string): ApiCommand {
  return { api: "uuid_audio_stream", args: [callId, "stop"] };
}

/** `uuid_break <uuid> all`: stops the current file and flushes the queue (barge-in). */
export function breakAll(callId: string): ApiCommand {
  return { api: "uuid_break", args: [callId, "all"] };
}

/**
 * `uuid_transfer <uuid> park inline`: the caller back from a transfer nobody
 * answered. Transferring the A leg cancels the ringing bridge; `park` keeps
 * the channel up with its stream and event socket, where the relay plays the
 * agent's audio again. The relay's own fixed text: the only `inline` it ever
 * sends, and never reachable from the cloud (planCommand refuses the word).
 */
export function recall(callId: string): ApiCommand {
  return { api: "uuid_transfer", args: [callId, "park", "inline"] };
}

/**
 * The command line for `api`/`bgapi`. Throws TypeError for anything not
 * allow-listed, a uuid_* command whose first argument is not a UUID, or an
 * argument that is not a plain token: a bug on our side, never a command sent.
 */
export function renderApi(command: ApiCommand): string {
  if (!(ALLOWED_APIS as readonly string[]).includes(command.api)) throw new TypeError(`API ${JSON.stringify(command.api)} is not allow-listed`);
  if (command.api.startsWith("uuid_") && !UUID_RE.test(command.args[0] ?? "")) throw new TypeError(`${command.api} needs a call UUID first`);
  if (command.api === "uuid_transfer" && !transferShape(command.args)) throw new TypeError("uuid_transfer must be <uuid> <dest> XML <context>, or the relay's own recall or ring-all");
  for (const arg of command.args) {
    // The ring-all inline dialplan needs `:^,`; its own pattern (no space, `$`, quote or brace) allows nothing else.
    if (command.api === "uuid_transfer" && arg === command.args[1] && RING_ALL_RE.test(arg)) continue;
    if (!SAFE_TOKEN.test(arg) || arg.includes("::") || /[$'"{}:\s]/.test(arg)) throw new TypeError(`unsafe API argument ${JSON.stringify(arg.slice(0, 40))}`);
  }
  return [command.api, ...command.args].join(" ");
}

/** `<uuid> <dest> XML <context>`, or exactly {@link recall}'s `<uuid> park inline`, or {@link ringAllCommand}'s. */
function transferShape(args: string[]): boolean {
  if (args.length === 3) return args[2] === "inline" && (args[1] === "park" || RING_ALL_RE.test(args[1] ?? ""));
  return args.length === 4 && args[2] === "XML" && !RESERVED.has((args[1] ?? "").toLowerCase()) && !RESERVED.has((args[3] ?? "").toLowerCase());
}

/** A whole number of seconds in `[min, max]`, given as a number or digits. */
function seconds(value: unknown, [min, max]: readonly [number, number]): Check<number> {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) return bad(`timeoutSeconds must be a whole number from ${min} to ${max}`);
  return { ok: true, value: n };
}

function onlyKeys(args: Args, allowed: readonly string[]): { ok: false; code: string; message: string } | undefined {
  const extra = Object.keys(args).filter((k) => !allowed.includes(k));
  return extra.length > 0 ? bad(`unexpected argument ${JSON.stringify(extra[0]?.slice(0, 32))}`) : undefined;
}

function extension(value: unknown, what: string): Check<string> {
  // A JSON number is fine for an extension (200); anything else must be text.
  const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  const checked = pattern(text, EXTENSION_RE, what);
  if (checked.ok && RESERVED.has(checked.value.toLowerCase())) return bad(`${what} is a reserved word`);
  return checked;
}

function pattern(value: unknown, re: RegExp, what: string): Check<string> {
  if (typeof value !== "string") return bad(`${what} must be text`);
  if (!re.test(value)) return bad(`${what} has characters or a length not allowed`);
  return { ok: true, value };
}

/** The call's own domain (from its channel data), lower-case: presence and ring-all never leave it. */
function domainOf(call: CallFacts): Check<string> {
  if (!call.domainName || !DOMAIN_RE.test(call.domainName)) {
    return { ok: false, code: CommandError.CallNotReady, message: "the call's domain is not known (no event socket for it)" };
  }
  return { ok: true, value: call.domainName.toLowerCase() };
}

function contextOf(call: CallFacts): Check<string> {
  const context = call.context ?? call.domainName;
  if (context === undefined) return { ok: false, code: CommandError.CallNotReady, message: "no context given and the call's context is not known" };
  return pattern(context, CONTEXT_RE, "the call's context");
}
