/**
 * Wires an AiSecretary to its call's Durable Object world: the provider
 * candidates from the plan, the tool registry, the greeting cache objects,
 * and the hub's pushDownlink for output that cannot wait for the next
 * upstream call.
 */
import { Encoding } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import type { CallStartInfo } from "../call-session.js";
import type { Downlink } from "../downlink.js";
import type { Env } from "../env.js";
import { log } from "../log.js";
import { candidatesFor } from "../providers/factory.js";
import { createCallHandoff } from "../handoff/session-handoff.js";
import { toolsFor } from "../providers/tools.js";
import { AiSecretary } from "./ai-secretary.js";
import type { CallRecord } from "./call-record.js";
import type { SecretaryOutput } from "./secretary.js";

/** `number` numbers the output for the relay (the session owns the down seq); undefined once the call is over. */
export function makeAiSecretary(
  env: Env,
  info: CallStartInfo,
  plan: AiPlan,
  record: CallRecord,
  number: (out: SecretaryOutput) => Downlink | undefined,
  session?: { storage: DurableObjectStorage; startedAt: number },
): AiSecretary {
  const hub = () => env.RELAY_HUB.get(env.RELAY_HUB.idFromName(info.relayId));
  const cache = (key: string) => env.GREETING_CACHE.get(env.GREETING_CACHE.idFromName(key));
  // The handoff needs the secretary (to speak, to stop listening) and the secretary its tools: the voice is late-bound.
  const late: { ai?: AiSecretary } = {};
  const handoff =
    plan.handoff && session
      ? createCallHandoff({ env, info, plan: { ...plan, handoff: plan.handoff }, record, storage: session.storage, startedAt: session.startedAt, voice: () => late.ai })
      : undefined;
  const ai = new AiSecretary({
    callId: info.callId,
    call: { encoding: Encoding[info.audio.encoding], sampleRate: info.audio.sampleRate },
    plan,
    candidates: candidatesFor(plan, env),
    tools: toolsFor({ diagnostic: plan.diagnosticTools, handoff: handoff?.controller.tools }),
    greetings: { get: (key) => cache(key).get(), put: (key, g) => cache(key).put(g) },
    record,
    ...(handoff ? { handoff: handoff.observer } : {}),
    now: Date.now,
    openTimeoutMs: plan.timeouts?.openMs,
    stallTimeoutMs: plan.timeouts?.stallMs,
    push: (out) => {
      const downlink = number(out);
      if (!downlink) return;
      void hub()
        .pushDownlink(info.callId, downlink)
        .catch((err: unknown) => log("warn", "push_downlink_failed", { callId: info.callId, error: String(err) }));
    },
  });
  late.ai = ai;
  return ai;
}
