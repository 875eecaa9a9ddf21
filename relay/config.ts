/**
 * The relay's configuration, read from environment variables and checked
 * once at start. Every problem is reported at once, each naming the
 * variable, what it expects and what it was given, so an operator fixes
 * the container's environment in one go. The token's value is never echoed.
 */
import { z } from "zod";

/** Levels pino understands; `silent` turns logging off. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated configuration. Durations are milliseconds. */
export interface RelayConfig {
  /** Full WebSocket URL of the link endpoint (`ws:`/`wss:` .../v1/relay/connect). */
  linkUrl: string;
  /** True when the token would travel unencrypted to a host that is not loopback. */
  linkInsecure: boolean;
  relayToken: string;
  audio: { host: string; port: number };
  health: { host: string; port: number };
  logLevel: LogLevel;
  link: LinkTimingConfig;
  freeswitch: FreeswitchConfig;
}

/** How the relay reaches FreeSWITCH and what it does with a call. */
export interface FreeswitchConfig {
  /** Inbound event socket (FreeSWITCH listens; the relay connects). */
  esl: { host: string; port: number; password: string };
  /** True when ESL_PASSWORD is FreeSWITCH's well-known default. */
  eslDefaultPassword: boolean;
  /** Where the dialplan's `socket ... async full` connects (the relay listens). */
  outbound: { host: string; port: number };
  playbackMode: PlaybackMode;
  /** Link lost this long: each call takes its fallback. */
  linkGraceMs: number;
  fallbackExtension?: string;
  /** Context of the fallback transfer; the call's own context when unset. */
  fallbackContext?: string;
  /** Audio stream first: how long to wait for the call's event socket before running it audio-only. */
  socketWaitMs: number;
  /** Event socket first: how long to wait for the call's audio stream before the fallback. */
  streamWaitMs: number;
  commandTimeoutMs: number;
}

/** `file`: the community mod_audio_stream (files played with sendmsg); `stream`: forks that inject raw audio. */
export type PlaybackMode = "file" | "stream";

/** FreeSWITCH's default event-socket password: accepted, with a warning at start. */
export const DEFAULT_ESL_PASSWORD = "ClueCon";

/** Timings and limits of the link client. */
export interface LinkTimingConfig {
  heartbeatMs: number;
  deadAfterMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  handshakeTimeoutMs: number;
  bundleMs: number;
  /** Per call: audio older than this much queued audio is dropped first. */
  maxQueuedAudioMs: number;
  /** WebSocket bufferedAmount above which audio waits in the outbox. */
  maxBufferedBytes: number;
  /** Most link messages a second (link-client.ts); the default when absent. */
  maxMessagesPerSecond?: number;
}

/** Every problem found in the environment; `problems` are one line each. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** The exit code for a configuration error (EX_CONFIG in sysexits.h). */
export const EXIT_CONFIG = 78;

/** The path the Worker serves the link on. */
export const LINK_PATH = "/v1/relay/connect";

const MIN_TOKEN_LENGTH = 32;
/** A half-open link must be noticed in under 10 s (see shared/link/PROTOCOL.md). */
const MAX_DEAD_AFTER_MS = 10_000;

type Env = Readonly<Record<string, string | undefined>>;

/** Shows a given value in a message: quoted, cut short, control characters escaped by JSON. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw);
}

/** Empty counts as unset, so `FOO=` in a compose file means "use the default". */
function given(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
}

function integer(min: number, max: number, fallback: number) {
  return z.string().optional().transform((raw, ctx) => {
    const value = given(raw);
    if (value === undefined) return fallback;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `expected an integer from ${min} to ${max}, got ${shown(value)}` });
      return z.NEVER;
    }
    return n;
  });
}

function host(fallback: string) {
  return z.string().optional().transform((raw, ctx) => {
    const value = given(raw);
    if (value === undefined) return fallback;
    if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(value)) {
      ctx.addIssue({ code: "custom", message: `expected a host name or IP address to listen on, got ${shown(value)}` });
      return z.NEVER;
    }
    return value;
  });
}

const cloudUrl = z.string().optional().transform((raw, ctx) => {
  const value = given(raw);
  if (value === undefined) {
    ctx.addIssue({ code: "custom", message: "is required: the Worker's URL, e.g. wss://voice.example.com" });
    return z.NEVER;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `expected a ws, wss, http or https URL, got ${shown(value)}` });
    return z.NEVER;
  }
  const scheme = { "ws:": "ws:", "http:": "ws:", "wss:": "wss:", "https:": "wss:" }[url.protocol];
  if (!scheme) {
    ctx.addIssue({ code: "custom", message: `expected a ws, wss, http or https URL, got scheme ${shown(url.protocol)}` });
    return z.NEVER;
  }
  if (url.username || url.password) {
    // Do not echo it: the user info may be a secret.
    ctx.addIssue({ code: "custom", message: "must not contain user credentials (the relay authenticates with RELAY_TOKEN)" });
    return z.NEVER;
  }
  if (url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: `expected a URL without query or fragment, got ${shown(value)}` });
    return z.NEVER;
  }
  const target = new URL(url.href);
  target.protocol = scheme;
  target.pathname = `${url.pathname.replace(/\/+$/, "")}${LINK_PATH}`;
  return target;
});

const relayToken = z.string().optional().transform((raw, ctx) => {
  // Not trimmed: a token is taken exactly as given.
  if (raw === undefined || raw === "") {
    ctx.addIssue({ code: "custom", message: `is required: the relay's token (at least ${MIN_TOKEN_LENGTH} characters)` });
    return z.NEVER;
  }
  if (raw.length < MIN_TOKEN_LENGTH || /\s/.test(raw)) {
    const what = raw.length < MIN_TOKEN_LENGTH ? `${raw.length} characters` : "a value containing whitespace";
    ctx.addIssue({ code: "custom", message: `expected at least ${MIN_TOKEN_LENGTH} characters without whitespace, got ${what}` });
    return z.NEVER;
  }
  return raw;
});

const logLevel = z.string().optional().transform((raw, ctx) => {
  const value = given(raw)?.toLowerCase();
  if (value === undefined) return "info" as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    ctx.addIssue({ code: "custom", message: `expected one of ${LOG_LEVELS.join(", ")}, got ${shown(value)}` });
    return z.NEVER;
  }
  return value as LogLevel;
});

function pattern(re: RegExp, what: string, fallback?: string) {
  return z.string().optional().transform((raw, ctx) => {
    const value = given(raw);
    if (value === undefined) return fallback;
    if (!re.test(value)) {
      ctx.addIssue({ code: "custom", message: `expected ${what}, got ${shown(value)}` });
      return z.NEVER;
    }
    return value;
  });
}

const eslPassword = z.string().optional().transform((raw, ctx) => {
  if (raw === undefined || raw === "") return DEFAULT_ESL_PASSWORD;
  // It travels as one line of the event socket: no whitespace or control characters. Never echoed.
  if (!/^[\x21-\x7e]{1,128}$/.test(raw)) {
    ctx.addIssue({ code: "custom", message: "expected 1 to 128 printable ASCII characters without spaces" });
    return z.NEVER;
  }
  return raw;
});

const envSchema = z.object({
  CLOUD_URL: cloudUrl,
  RELAY_TOKEN: relayToken,
  AUDIO_WS_HOST: host("127.0.0.1"),
  AUDIO_WS_PORT: integer(0, 65_535, 8085),
  HEALTH_HOST: host("127.0.0.1"),
  HEALTH_PORT: integer(0, 65_535, 8086),
  LOG_LEVEL: logLevel,
  LINK_HEARTBEAT_MS: integer(10, 60_000, 2000),
  LINK_DEAD_AFTER_MS: integer(20, MAX_DEAD_AFTER_MS - 1, 6000),
  LINK_BACKOFF_MIN_MS: integer(1, 60_000, 250),
  LINK_BACKOFF_MAX_MS: integer(1, 600_000, 15_000),
  LINK_HANDSHAKE_TIMEOUT_MS: integer(10, 60_000, 10_000),
  LINK_BUNDLE_MS: integer(1, 1000, 20),
  LINK_MAX_MESSAGES_PER_SECOND: integer(1, 1000, 100),
  LINK_MAX_QUEUED_AUDIO_MS: integer(20, 60_000, 2000),
  LINK_MAX_BUFFERED_BYTES: integer(1024, 256 * 1024 * 1024, 1024 * 1024),
  ESL_HOST: host("127.0.0.1"),
  ESL_PORT: integer(1, 65_535, 8021),
  ESL_PASSWORD: eslPassword,
  OUTBOUND_ESL_HOST: host("127.0.0.1"),
  OUTBOUND_ESL_PORT: integer(0, 65_535, 8022),
  PLAYBACK_MODE: pattern(/^(file|stream)$/, "file or stream", "file"),
  LINK_GRACE_MS: integer(0, 120_000, 5000),
  FALLBACK_EXTENSION: pattern(/^[0-9A-Za-z*#+][0-9A-Za-z*#+._-]{0,31}$/, "an extension (digits, letters, *#+._-)"),
  FALLBACK_CONTEXT: pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a dialplan context (letters, digits, ._-)"),
  CALL_SOCKET_WAIT_MS: integer(0, 60_000, 1000),
  CALL_STREAM_WAIT_MS: integer(100, 60_000, 5000),
  ESL_COMMAND_TIMEOUT_MS: integer(50, 60_000, 5000),
});

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Reads and checks the configuration. Pure: it looks at `env` only.
 * Returns the configuration, or a {@link ConfigError} listing every problem.
 */
export function loadConfig(env: Env): RelayConfig | ConfigError {
  const parsed = envSchema.safeParse(pick(env));
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  if (!parsed.success) return new ConfigError(problems);
  const e = parsed.data;
  // Relations between variables, checked once each is valid on its own.
  if (e.LINK_DEAD_AFTER_MS <= e.LINK_HEARTBEAT_MS) {
    problems.push(
      `LINK_DEAD_AFTER_MS: expected more than LINK_HEARTBEAT_MS (${e.LINK_HEARTBEAT_MS}) so a live link is not declared dead between pings, got ${e.LINK_DEAD_AFTER_MS}`,
    );
  }
  if (e.LINK_BACKOFF_MIN_MS > e.LINK_BACKOFF_MAX_MS) {
    problems.push(`LINK_BACKOFF_MIN_MS: expected at most LINK_BACKOFF_MAX_MS (${e.LINK_BACKOFF_MAX_MS}), got ${e.LINK_BACKOFF_MIN_MS}`);
  }
  if (problems.length > 0) return new ConfigError(problems);
  return {
    linkUrl: e.CLOUD_URL.href,
    linkInsecure: e.CLOUD_URL.protocol === "ws:" && !LOOPBACK.has(e.CLOUD_URL.hostname),
    relayToken: e.RELAY_TOKEN,
    audio: { host: e.AUDIO_WS_HOST, port: e.AUDIO_WS_PORT },
    health: { host: e.HEALTH_HOST, port: e.HEALTH_PORT },
    logLevel: e.LOG_LEVEL,
    link: {
      heartbeatMs: e.LINK_HEARTBEAT_MS,
      deadAfterMs: e.LINK_DEAD_AFTER_MS,
      backoffMinMs: e.LINK_BACKOFF_MIN_MS,
      backoffMaxMs: e.LINK_BACKOFF_MAX_MS,
      handshakeTimeoutMs: e.LINK_HANDSHAKE_TIMEOUT_MS,
      bundleMs: e.LINK_BUNDLE_MS,
      maxMessagesPerSecond: e.LINK_MAX_MESSAGES_PER_SECOND,
      maxQueuedAudioMs: e.LINK_MAX_QUEUED_AUDIO_MS,
      maxBufferedBytes: e.LINK_MAX_BUFFERED_BYTES,
    },
    freeswitch: {
      esl: { host: e.ESL_HOST, port: e.ESL_PORT, password: e.ESL_PASSWORD },
      eslDefaultPassword: e.ESL_PASSWORD === DEFAULT_ESL_PASSWORD,
      outbound: { host: e.OUTBOUND_ESL_HOST, port: e.OUTBOUND_ESL_PORT },
      playbackMode: e.PLAYBACK_MODE as PlaybackMode,
      linkGraceMs: e.LINK_GRACE_MS,
      fallbackExtension: e.FALLBACK_EXTENSION,
      fallbackContext: e.FALLBACK_CONTEXT,
      socketWaitMs: e.CALL_SOCKET_WAIT_MS,
      streamWaitMs: e.CALL_STREAM_WAIT_MS,
      commandTimeoutMs: e.ESL_COMMAND_TIMEOUT_MS,
    },
  };
}

/** Only the variables we know, so an unrelated huge environment is not validated. */
function pick(env: Env): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) out[key] = env[key];
  return out;
}
