/**
 * Runs allow-listed API commands for one call: on the inbound event socket
 * when it is up, else on the call's own outbound socket (FreeSWITCH takes
 * `api` there too), so a barge-in or a fallback still works while the
 * inbound socket reconnects.
 */
import type { ApiCommand } from "../esl/commands.js";
import { EslError } from "../esl/connection.js";
import type { InboundEsl } from "../esl/inbound-client.js";
import type { OutboundSession } from "../esl/outbound-server.js";

/** The part of the inbound client a call uses. */
export type InboundApi = Pick<InboundEsl, "api" | "isUp">;

/** Runs `command`; resolves with FreeSWITCH's reply text, rejects with an {@link EslError}. */
export async function runApi(command: ApiCommand, inbound: InboundApi | undefined, session: OutboundSession | undefined, timeoutMs?: number): Promise<string> {
  if (inbound?.isUp) {
    try {
      return await inbound.api(command, timeoutMs);
    } catch (err) {
      // Only a socket that is not there is worth a second way; a timeout may still run.
      if (!(err instanceof EslError) || err.code !== "ESL_UNAVAILABLE" || !session || session.closed) throw err;
    }
  }
  if (session && !session.closed) return session.api(command, timeoutMs);
  throw new EslError("ESL_UNAVAILABLE", "neither the inbound event socket nor the call's outbound socket is connected");
}

/**
 * Like {@link runApi}, but on the call's own socket first: barge-in must not
 * wait behind another call's slow command on the shared inbound socket
 * (FreeSWITCH runs a connection's API commands one at a time).
 */
export async function runApiOnCall(command: ApiCommand, inbound: InboundApi | undefined, session: OutboundSession | undefined, timeoutMs?: number): Promise<string> {
  if (session && !session.closed) {
    try {
      return await session.api(command, timeoutMs);
    } catch (err) {
      if (!(err instanceof EslError) || err.code !== "ESL_DISCONNECTED") throw err;
    }
  }
  return runApi(command, inbound, undefined, timeoutMs);
}

/** `+OK ...` (and `true` for user_exists) count as success; `-ERR ...` and `-USAGE` do not. */
export function replyOk(reply: string): boolean {
  return !reply.startsWith("-");
}

/** A reply or error as link text: one line, no control characters, bounded. */
export function linkText(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim().slice(0, max) || "(empty)";
}
