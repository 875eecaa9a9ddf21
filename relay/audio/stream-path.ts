/**
 * Parses the URL mod_audio_stream connects with. Pure, and it never throws:
 * the caller number comes from the trunk, untouched by the dialplan, so
 * expect anything in it.
 *
 *   /stream/<secretary_uuid>/<call_uuid>/<caller_number>[?rate=8000|16000]
 *   /stream/<domain_uuid>/<call_uuid>[?rate=...]          (older dialplans)
 */

/** Sample rates the stream may run at (`mono 8k` / `mono 16k`). */
export type StreamRate = 8000 | 16000;

/** What the URL says about the call. */
export interface StreamTarget {
  callId: string;
  /** From the current URL form. */
  secretaryId?: string;
  /** From the older form; the secretary then comes from the channel variables. */
  domainId?: string;
  /** Decoded, control characters removed, at most {@link MAX_CALLER_LENGTH} UTF-16 units. */
  callerNumber: string;
  sampleRate: StreamRate;
}

export type StreamPathResult =
  | { ok: true; target: StreamTarget }
  /** `status` is the HTTP answer: 404 for a path that is not ours, 400 for ours with bad values. */
  | { ok: false; status: 400 | 404; reason: string };

/** As long as a caller number may be on the link (control.ts caller.number). */
export const MAX_CALLER_LENGTH = 64;
/** mod_audio_stream's "mono 16k". */
export const DEFAULT_STREAM_RATE: StreamRate = 16000;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const utf8 = new TextDecoder("utf-8"); // not fatal: bad bytes become U+FFFD
const utf8Encoder = new TextEncoder();

/** Parses a request URL (path and query, as in `req.url`). */
export function parseStreamPath(url: string): StreamPathResult {
  // Anything after '#' never reaches a server; cut it as a browser would.
  const [pathAndQuery = ""] = url.split("#", 1);
  const q = pathAndQuery.indexOf("?");
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q + 1);

  const segments = path.split("/");
  // "", "stream", first, call[, caller...]
  if (segments[0] !== "" || segments[1] !== "stream" || segments.length < 4) {
    return { ok: false, status: 404, reason: "not a /stream/<uuid>/<call_uuid>[/<caller>] path" };
  }
  const first = segments[2] ?? "";
  const callId = segments[3] ?? "";
  if (!UUID_RE.test(first)) return { ok: false, status: 400, reason: "the secretary or domain segment is not a UUID" };
  if (!UUID_RE.test(callId)) return { ok: false, status: 400, reason: "the call segment is not a UUID" };

  const rate = parseRate(query);
  if (rate === undefined) return { ok: false, status: 400, reason: "rate must be 8000 or 16000" };

  const target: StreamTarget = { callId: callId.toLowerCase(), callerNumber: "", sampleRate: rate };
  if (segments.length === 4) {
    target.domainId = first.toLowerCase();
  } else {
    target.secretaryId = first.toLowerCase();
    // A caller number holding '/' arrives as several segments: keep them all.
    target.callerNumber = cleanCallerNumber(segments.slice(4).join("/"));
  }
  return { ok: true, target };
}

function parseRate(query: string): StreamRate | undefined {
  // URLSearchParams never throws, whatever the query holds.
  const raw = new URLSearchParams(query).get("rate");
  if (raw === null || raw === "") return DEFAULT_STREAM_RATE;
  if (raw === "8000" || raw === "8k") return 8000;
  if (raw === "16000" || raw === "16k") return 16000;
  return undefined;
}

/**
 * Percent-decodes (a bad escape stays as written, bad UTF-8 becomes U+FFFD),
 * keeps '+' as a plus (E.164, not a form-encoded space), removes control
 * characters, trims, and cuts at {@link MAX_CALLER_LENGTH} without splitting
 * a surrogate pair.
 */
export function cleanCallerNumber(raw: string): string {
  const cleaned = percentDecode(raw).replace(CONTROL_CHARS, "").trim();
  if (cleaned.length <= MAX_CALLER_LENGTH) return cleaned;
  let cut = MAX_CALLER_LENGTH;
  const last = cleaned.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // a high surrogate would be left alone
  return cleaned.slice(0, cut);
}

/** decodeURIComponent that cannot throw. */
export function percentDecode(raw: string): string {
  if (!raw.includes("%")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-f]{2}$/i.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Re-encode the character itself (with its surrogate pair, if any) as UTF-8.
      const cp = raw.codePointAt(i) ?? c;
      const ch = String.fromCodePoint(cp);
      for (const b of utf8Encoder.encode(ch)) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}
