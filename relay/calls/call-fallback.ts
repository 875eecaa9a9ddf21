/**
 * The local fallback of one call, on FreeSWITCH: a transfer to
 * FALLBACK_EXTENSION (and the stream stopped, so it does not listen to the
 * people talking), or a hangup. Each step has a second way when the first
 * fails: a failed transfer closes the call's event socket so the dialplan's
 * own fallback action runs; a failed `uuid_kill` becomes a `sendmsg hangup`
 * on the call's socket.
 */
import { stopStream } from "../esl/commands.js";
import { hangupMessage } from "../esl/wire.js";
import type { Call } from "./call.js";
import { replyOk, runApi } from "./esl-runner.js";

/** Cause given to FreeSWITCH when the relay hangs a call up for lack of anything better. */
export const FALLBACK_HANGUP_CAUSE = "NORMAL_TEMPORARY_FAILURE";

/** Runs the fallback; never rejects for a FreeSWITCH answer (it logs instead). */
export async function runFallback(call: Call, extension: string | undefined, context: string): Promise<void> {
  const { inbound } = call.deps;
  const session = call.session;
  const fail = (err: Error) => `-ERR ${err.message}`;
  if (extension) {
    const reply = await runApi({ api: "uuid_transfer", args: [call.callId, extension, "XML", context] }, inbound, session).catch(fail);
    if (call.stream?.open) await runApi(stopStream(call.callId), inbound, session).catch(fail);
    if (replyOk(reply)) return;
    call.log.error({ reply }, "fallback transfer failed; closing the event socket so the dialplan's next action runs");
    session?.close("fallback transfer failed");
    return;
  }
  const reply = await runApi({ api: "uuid_kill", args: [call.callId, FALLBACK_HANGUP_CAUSE] }, inbound, session).catch(fail);
  if (replyOk(reply)) return;
  if (session && !session.closed) {
    await session.sendmsg(hangupMessage(FALLBACK_HANGUP_CAUSE)).catch(() => session.close("fallback hangup failed"));
    return;
  }
  call.log.error({ reply }, "cannot reach FreeSWITCH to hang the call up; it ends when the caller hangs up");
}
