/**
 * A typed `command` from the cloud, run for the call it names: planned and
 * validated by the allow-list (esl/commands.ts), run on FreeSWITCH, and
 * answered with a typed `command.result`. Only calls this relay owns reach
 * here (the link routes by call UUID); an unknown call was already answered
 * by the link.
 */
import type { ControlOf } from "../../shared/link/index.js";
import { CommandError, planCommand, type ApiCommand, type CommandPlan } from "../esl/commands.js";
import { EslError } from "../esl/connection.js";
import type { Call } from "./call.js";
import { linkText, replyOk, runApi } from "./esl-runner.js";
import { TransferWatch, type TransferEnd } from "./transfer-watch.js";

type Outcome = { ok: true; result: Record<string, unknown> } | { ok: false; code: string; message: string };

/** Runs one command and sends its result up the link. Never throws. */
export async function runCommand(call: Call, command: ControlOf<"command">): Promise<void> {
  const started = performance.now();
  call.deps.counters.commands++;
  let outcome: Outcome;
  try {
    outcome = await execute(call, command);
  } catch (err) {
    outcome = err instanceof EslError ? { ok: false, code: err.code, message: err.message } : { ok: false, code: "COMMAND_FAILED", message: "relay error" };
    if (!(err instanceof EslError)) call.log.error({ err }, "command failed");
  }
  const ms = Math.round(performance.now() - started);
  if (!outcome.ok) call.deps.counters.commandFailures++;
  call.deps.onCommand?.(command.name, ms / 1000, outcome.ok);
  call.log.info({ command: command.name, id: command.id, ok: outcome.ok, code: outcome.ok ? undefined : outcome.code, ms }, "command from the cloud");
  call.send(
    outcome.ok
      ? { type: "command.result", id: command.id, callId: call.callId, ok: true, result: { ...outcome.result, ms } }
      : { type: "command.result", id: command.id, callId: call.callId, ok: false, error: { code: outcome.code, message: linkText(outcome.message) } },
  );
  if (outcome.ok && command.name === "transfer") call.link?.end("transferred");
}

async function execute(call: Call, command: ControlOf<"command">): Promise<Outcome> {
  if (call.over) return { ok: false, code: CommandError.CallNotReady, message: `the call is over (${call.over})` };
  const channel = call.session?.info;
  const planned = planCommand(command.name, command.args, { callId: call.callId, context: channel?.context, domainName: channel?.domainName });
  if (!planned.ok) {
    call.log.warn({ command: command.name.slice(0, 32), code: planned.code, why: planned.message }, "command refused");
    return planned;
  }
  return run(call, planned.plan);
}

async function run(call: Call, plan: CommandPlan): Promise<Outcome> {
  if (plan.name !== "transfer" && plan.name !== "hangup") return runOther(call, plan);
  // The cloud may end the call right after asking: that is not a reason for the fallback.
  call.handoff = plan.name;
  try {
    const outcome = await runHandoff(call, plan);
    if (!outcome.ok && !call.link && !call.over) call.fallback(`${plan.name}-failed`, outcome.message);
    return outcome;
  } finally {
    call.handoff = undefined;
  }
}

async function runHandoff(call: Call, plan: Extract<CommandPlan, { name: "transfer" | "hangup" }>): Promise<Outcome> {
  // A supervised transfer watches the call's events from before uuid_transfer: a busy target answers in milliseconds.
  const watch = plan.name === "transfer" ? superviseTransfer(call, plan) : undefined;
  const reply = await api(call, plan.steps[0]).catch((err: Error) => (err instanceof EslError ? err : `-ERR ${err.message}`));
  // No reply (socket dropped, timeout) is not a refusal: FreeSWITCH may have taken the transfer. A supervised one
  // is then decided by the call's events, so the caller is never both ringing someone and talking to the AI.
  const unknown = reply instanceof EslError && (reply.code === CommandError.EslDisconnected || reply.code === CommandError.EslTimeout);
  if (watch && unknown) call.log.warn({ code: reply.code }, "no reply to uuid_transfer: the call's events decide whether it happened");
  else if (reply instanceof EslError || !replyOk(reply)) {
    watch?.cancel();
    call.transfer = undefined;
    return reply instanceof EslError ? { ok: false, code: reply.code, message: reply.message } : refused(reply);
  }
  if (plan.name === "hangup") {
    call.over ??= "hangup";
    return { ok: true, result: { cause: plan.cause } };
  }
  const where = { destination: plan.destination, context: plan.context };
  if (!watch) {
    await handOver(call, plan.steps[1]);
    return { ok: true, result: where };
  }
  const end = await watch.done;
  call.transfer = undefined;
  // Never bridged and never answered for: most likely the transfer did not happen; the AI keeps the caller.
  if (reply instanceof EslError && end.kind === "delivered") return { ok: false, code: reply.code, message: reply.message };
  call.log.info({ ...where, end: end.kind, ...(end.kind === "unanswered" ? { code: end.code, why: end.why } : {}) }, "supervised transfer ended");
  switch (end.kind) {
    case "answered":
    case "delivered":
      await handOver(call, plan.steps[1]);
      return { ok: true, result: { ...where, answered: end.kind === "answered" } };
    case "hangup":
      return { ok: false, code: CommandError.CallEnded, message: "the caller hung up during the transfer" };
    case "unanswered":
      return recallCaller(call, plan, end);
  }
}

/** Starts watching the call's events for a transfer's outcome, when the cloud asked for supervision and the call has its event socket. */
function superviseTransfer(call: Call, plan: Extract<CommandPlan, { name: "transfer" }>): TransferWatch | undefined {
  if (plan.timeoutMs === undefined) return undefined;
  if (!call.session || call.session.closed) {
    call.log.warn("transfer not supervised: the call has no event socket, so its answer cannot be seen");
    return undefined;
  }
  call.transfer = new TransferWatch(plan.timeoutMs, plan.destination);
  return call.transfer;
}

/**
 * Nobody answered (or busy): take the caller back (`recall`) so the AI can
 * offer to take a message. Not when the cloud is gone (link down): the
 * target's dialplan (its voicemail) then serves the caller better than a
 * silent park, so the call is left there, handed over.
 */
async function recallCaller(call: Call, plan: Extract<CommandPlan, { name: "transfer" }>, end: Extract<TransferEnd, { kind: "unanswered" }>): Promise<Outcome> {
  const where = { destination: plan.destination, context: plan.context };
  if (!call.link || !call.deps.link.isUp || call.over) {
    await handOver(call, plan.steps[1]);
    return { ok: true, result: { ...where, answered: false, recalled: false } };
  }
  const reply = await api(call, plan.recall).catch((err: Error) => `-ERR ${err.message}`);
  if (!replyOk(reply)) {
    call.log.warn({ reply: linkText(reply) }, "could not take the caller back from the transfer; the target's dialplan keeps the call");
    await handOver(call, plan.steps[1]);
    return { ok: true, result: { ...where, answered: false, recalled: false } };
  }
  call.log.info({ code: end.code }, "caller taken back from the transfer");
  return { ok: false, code: end.code, message: linkText(end.why) };
}

/** FreeSWITCH has handed the call to someone: stop playing, and stop the stream (`stop`), which would otherwise listen to the people talking. */
export async function handOver(call: Call, stop: ApiCommand | undefined): Promise<void> {
  call.over ??= "transferred";
  call.playback.stop();
  const stopped = await api(call, stop).catch((err: Error) => `-ERR ${err.message}`);
  if (!replyOk(stopped)) call.log.warn({ reply: linkText(stopped) }, "uuid_audio_stream stop failed after the handover");
}

function api(call: Call, command: ApiCommand | undefined): Promise<string> {
  if (!command) return Promise.reject(new Error("no such step"));
  return runApi(command, call.deps.inbound, call.session);
}

async function runOther(call: Call, plan: Extract<CommandPlan, { name: "clear_playback" | "presence" }>): Promise<Outcome> {
  if (plan.name === "clear_playback") {
    await call.playback.clear("command");
    return { ok: true, result: {} };
  }
  const exists = await api(call, plan.steps[0]);
  const contact = await api(call, plan.steps[1]);
  // sofia_contact answers a contact, or error/user_not_registered.
  const registered = contact !== "" && !contact.startsWith("error/") && !contact.startsWith("-ERR");
  return { ok: true, result: { extension: plan.extension, exists: exists === "true", registered } };
}

function refused(reply: string): Outcome {
  return { ok: false, code: CommandError.EslRefused, message: linkText(reply) };
}
