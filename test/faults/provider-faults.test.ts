/**
 * A provider that fails mid-call: the OpenAI Realtime stand-in errors
 * (server_error, close 1011) or stalls (never answers) after the caller's
 * first utterance. The CallSession must fail over to the secretary's
 * fallback provider, and the caller must hear an answer, with the call
 * neither hung up nor transferred. Everything real: the Worker with its
 * Postgres config, the relay process, the FreeSWITCH simulator.
 */
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import type { SimCall } from "../sim/freeswitch/sim-call.js";
import { loadFixture } from "../stack/fixtures.js";
import { startAiRig, type AiRig } from "./ai-call-rig.js";

/** The secretary's default (ai-secretary.ts): no answer this long after the caller spoke is a stall. */
const STALL_TIMEOUT_MS = 8000;
let rig: AiRig;

beforeAll(async () => {
  rig = await startAiRig();
});

afterAll(async () => {
  await rig?.stop();
});

/** The greeting has played out: every file played to its end, nothing queued, for a moment. */
async function greeted(call: SimCall): Promise<void> {
  await waitFor(() => call.played.length > 0, { timeoutMs: 15_000, what: "the greeting" });
  let quietSince = performance.now();
  await waitFor(
    () => {
      const busy = call.queue.length > 0 || call.played.some((p) => p.endedAt === undefined);
      if (busy) quietSince = performance.now();
      return performance.now() - quietSince > 500;
    },
    { timeoutMs: 20_000, what: "the greeting to end" },
  );
}

/** The caller says a sentence, then a second of silence; resolves with when the sentence ended. */
async function say(call: SimCall): Promise<number> {
  await call.module.stream(loadFixture("caller-support.wav").data);
  const endedAt = performance.now();
  await call.module.stream(new Uint8Array(32_000));
  return endedAt;
}

it.each([
  ["errors", "error", 3000],
  ["stalls", "stall", STALL_TIMEOUT_MS + 3000],
] as const)("when the provider %s after the caller spoke, the fallback provider answers and the call goes on", async (_what, scenario, withinMs) => {
  const secretaryId = await rig.ai.secretary(scenario);
  const { call } = await rig.place(secretaryId);
  await greeted(call);
  const before = call.played.length;
  const spokeAt = await say(call);
  await waitFor(() => call.played.length > before, { timeoutMs: withinMs + 5000, what: "an answer after the failure" });
  const answerMs = (call.played[before]?.startedAt ?? Infinity) - spokeAt;
  process.stdout.write(`provider ${scenario}: the fallback's answer started ${answerMs.toFixed(0)} ms after the caller stopped speaking\n`);
  expect(answerMs).toBeLessThan(withinMs);
  expect(call.hungUp).toBeUndefined();
  expect(call.transferred).toBeUndefined();
  expect(rig.sim.apisNamed("uuid_kill").filter((a) => a.line.includes(call.callId))).toHaveLength(0);
  call.hangup();
});
