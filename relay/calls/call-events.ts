/**
 * What FreeSWITCH tells the relay about a call, turned into what the call
 * and the link need. Pure: the channel's values are checked here (a DTMF
 * digit, a hangup cause) so that nothing unchecked reaches the link.
 */
import type { StreamTarget } from "../audio/stream-path.js";
import type { ChannelInfo } from "../esl/channel.js";
import type { EslEvent } from "../esl/parser.js";
import type { CallInfo } from "./registry.js";

/**
 * call.start's content: the stream's URL names the call, the rate and (in
 * the current form) the secretary and caller; the event socket's channel
 * data adds the rest, and the secretary for the older URL form.
 */
export function callInfoFor(callId: string, target: StreamTarget, channel: ChannelInfo | undefined): CallInfo {
  return {
    callId,
    secretaryId: target.secretaryId ?? channel?.secretaryId,
    domainId: channel?.domainId ?? target.domainId,
    domainName: channel?.domainName,
    caller: { number: target.callerNumber || channel?.callerNumber || "", name: channel?.callerName },
    destination: channel?.destination,
    audio: { encoding: "L16", sampleRate: target.sampleRate },
    variables: channel && Object.keys(channel.variables).length > 0 ? channel.variables : undefined,
  };
}

export type ChannelEvent =
  | { kind: "play" }
  | { kind: "stream-error"; body: string }
  | { kind: "stream-disconnect" }
  | { kind: "dtmf"; digit: string; durationMs?: number }
  | { kind: "hangup"; cause?: string }
  /** The dialplan started a `bridge` (a transfer rings someone); `app` tells its completion apart. */
  | { kind: "bridge-start"; app: string }
  /** The caller is bridged to someone: the transfer was answered. */
  | { kind: "bridged" }
  /** A `bridge` ended without (or after) connecting; `disposition` is FreeSWITCH's originate cause. */
  | { kind: "bridge-end"; app: string; disposition?: string }
  | { kind: "other" };

/** Classifies one event. */
export function channelEvent(event: EslEvent): ChannelEvent {
  const { headers } = event;
  if (event.name === "CUSTOM") {
    switch (event.subclass) {
      case "mod_audio_stream::play":
        return { kind: "play" };
      case "mod_audio_stream::error":
        return { kind: "stream-error", body: (event.body ?? "").slice(0, 300) };
      case "mod_audio_stream::disconnect":
        return { kind: "stream-disconnect" };
      default:
        return { kind: "other" };
    }
  }
  if (event.name === "DTMF") {
    const digit = headers.get("DTMF-Digit") ?? "";
    if (!/^[0-9*#A-Da-d]$/.test(digit)) return { kind: "other" };
    // DTMF-Duration is in 8 kHz timestamp units.
    const samples = Number(headers.get("DTMF-Duration"));
    return { kind: "dtmf", digit, durationMs: Number.isFinite(samples) && samples >= 0 ? Math.round(samples / 8) : undefined };
  }
  if (event.name === "CHANNEL_HANGUP" || event.name === "CHANNEL_HANGUP_COMPLETE") {
    const cause = headers.get("Hangup-Cause");
    return { kind: "hangup", cause: cause && /^[A-Z_]{1,48}$/.test(cause) ? cause : undefined };
  }
  if (event.name === "CHANNEL_BRIDGE") return { kind: "bridged" };
  if ((event.name === "CHANNEL_EXECUTE" || event.name === "CHANNEL_EXECUTE_COMPLETE") && headers.get("Application") === "bridge") {
    const app = headers.get("Application-UUID") ?? "";
    if (event.name === "CHANNEL_EXECUTE") return { kind: "bridge-start", app };
    // originate_disposition is the cause's name (NO_ANSWER, USER_BUSY, ORIGINATOR_CANCEL, ...), set by switch_ivr_originate.
    const disposition = headers.get("variable_originate_disposition") ?? headers.get("variable_DIALSTATUS");
    return { kind: "bridge-end", app, disposition: disposition && /^[A-Za-z_]{1,48}$/.test(disposition) ? disposition.toUpperCase() : undefined };
  }
  return { kind: "other" };
}
