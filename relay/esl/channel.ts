/**
 * What the relay takes from the channel data of an outbound socket's
 * `connect` reply (~100-180 URL-encoded headers). Pure. Values come from the
 * trunk and the dialplan: each is cleaned (control characters removed, cut
 * to the link's limits) and the set of variables passed to the cloud is a
 * short allow-list, never the whole channel.
 */
import type { EslHeaders } from "./parser.js";

/** The call as the dialplan describes it. */
export interface ChannelInfo {
  callId: string;
  secretaryId?: string;
  domainId?: string;
  domainName?: string;
  callerNumber: string;
  callerName?: string;
  destination?: string;
  /** The dialplan context (`Caller-Context`), where a transfer lands by default. */
  context?: string;
  /** Variables the cloud may use (allow-listed, cleaned). */
  variables: Record<string, string>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTEXT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Channel variables forwarded to the cloud in call.start (`variable_<name>`). */
export const FORWARDED_VARIABLES = ["timezone", "default_language", "echo_delay_ms", "sip_from_user", "sip_to_user", "effective_caller_id_name", "effective_caller_id_number", "call_direction"] as const;

/** Reads the channel; undefined when it names no call UUID. */
export function channelInfo(headers: EslHeaders): ChannelInfo | undefined {
  const callId = (headers.get("Unique-ID") ?? headers.get("Channel-Unique-ID") ?? "").toLowerCase();
  if (!UUID_RE.test(callId)) return undefined;
  const info: ChannelInfo = {
    callId,
    callerNumber: clean(headers.get("Caller-Caller-ID-Number"), 64) ?? "",
    variables: {},
  };
  const secretary = headers.get("variable_VOICE_AI_SECRETARY_UUID")?.trim();
  if (secretary && UUID_RE.test(secretary)) info.secretaryId = secretary.toLowerCase();
  const domainId = (headers.get("variable_VOICE_AI_DOMAIN_UUID") ?? headers.get("variable_domain_uuid"))?.trim();
  if (domainId && UUID_RE.test(domainId)) info.domainId = domainId.toLowerCase();
  const domainName = clean(headers.get("variable_domain_name"), 253);
  if (domainName) info.domainName = domainName;
  const callerName = clean(headers.get("Caller-Caller-ID-Name"), 128);
  if (callerName) info.callerName = callerName;
  const destination = clean(headers.get("Caller-Destination-Number"), 64);
  if (destination) info.destination = destination;
  const context = headers.get("Caller-Context")?.trim();
  if (context && CONTEXT_RE.test(context)) info.context = context;
  for (const name of FORWARDED_VARIABLES) {
    const value = clean(headers.get(`variable_${name}`), 512);
    if (value) info.variables[name] = value;
  }
  return info;
}

/** Control characters out, trimmed, cut at `max` UTF-16 units without splitting a pair. */
export function clean(raw: string | undefined, max: number): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.replace(CONTROL_CHARS, "").trim();
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
