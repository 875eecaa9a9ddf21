/**
 * Latencies of AI calls, end to end on loopback (test/faults/ai-call-rig.ts:
 * the Worker with its Postgres config, the OpenAI Realtime stand-in, the
 * relay process in its default `file` playback mode, the FreeSWITCH
 * simulator):
 *
 * - greeting: the call is answered (its outbound socket and stream open)
 *   -> the first file starts playing at the simulator. Uncached: the first
 *   call to a fresh secretary (the provider synthesizes the greeting);
 *   cached: the next call to the same secretary (GreetingCache).
 * - barge-in: the caller talks over the greeting; the stand-in's
 *   `input_audio_buffer.speech_started` leaves its socket -> `uuid_break`
 *   arrives at the simulator.
 * - CPU per AI call: N calls stream looping speech (so the stand-in hears
 *   utterances and answers, and the sessions resample 16 <-> 24 kHz and
 *   base64 both ways); workerd's CPU over the run minus its idle rate, per
 *   call. Messages into each CallSession: hub RPCs (bounded by the relay's
 *   messages, counted on the relay) plus the provider's events (counted as
 *   the stand-in sends them).
 */
import { waitFor } from "../../relay/testing/wait.js";
import { loadFixture } from "../stack/fixtures.js";
import { startAiRig, type AiRig } from "../faults/ai-call-rig.js";
import { CallLoad, pct } from "../load/call-load.js";
import { WorkerdMeter } from "../load/proc.js";
import { healthDelta, relayHealth } from "../load/relay-health.js";

export interface AiLatencyResult {
  samples: number;
  greetingUncachedMs: { p50: number; p99: number };
  greetingCachedMs: { p50: number; p99: number };
  bargeInMs: { p50: number; p99: number; samples: number };
  cost: AiCost | { error: string };
}

export interface AiCost {
  calls: number;
  seconds: number;
  workerdIdleCores: number;
  workerdCores: number;
  workerdPctPerCall: number;
  hubMessagesPerSecond: number;
  providerEventsPerCallPerSecond: number;
}

export async function aiLatency(samples: number, costCalls: number, costSeconds: number): Promise<AiLatencyResult> {
  const rig = await startAiRig();
  const uncached: number[] = [];
  const cached: number[] = [];
  const bargeIns: number[] = [];
  const interruption = loadFixture("caller-interrupts.wav").data;
  let cost: AiCost | { error: string } = { error: "not run" };
  try {
    for (let i = 0; i < samples; i++) {
      const secretaryId = await rig.ai.secretary("default");
      for (const into of [uncached, cached]) {
        const { call, answeredAt } = await rig.place(secretaryId);
        await waitFor(() => call.played.length > 0, { timeoutMs: 15_000, what: "the greeting" });
        into.push((call.played[0]?.startedAt ?? NaN) - answeredAt);
        if (into === cached) {
          // Talk over the greeting: the provider's speech-start must cut it at FreeSWITCH.
          const breaks = rig.sim.apisNamed("uuid_break").length;
          const starts = rig.speechStarts.length;
          const talking = call.module.stream(interruption);
          await waitFor(() => rig.sim.apisNamed("uuid_break").slice(breaks).some((a) => a.line.includes(call.callId)), { timeoutMs: 10_000, what: "uuid_break" });
          const brk = rig.sim.apisNamed("uuid_break").slice(breaks).find((a) => a.line.includes(call.callId));
          const start = rig.speechStarts.slice(starts).filter((t) => t <= (brk?.at ?? 0)).at(-1);
          if (brk && start !== undefined) bargeIns.push(brk.at - start);
          await talking;
        }
        call.hangup();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    cost = await aiCost(rig, costCalls, costSeconds).catch((err: Error) => ({ error: err.message }));
  } finally {
    await rig.stop();
  }
  const summary = (v: number[]) => ({ p50: pct(v, 50), p99: pct(v, 99) });
  return { samples, greetingUncachedMs: summary(uncached), greetingCachedMs: summary(cached), bargeInMs: { ...summary(bargeIns), samples: bargeIns.length }, cost };
}

async function aiCost(rig: AiRig, calls: number, seconds: number): Promise<AiCost> {
  const idleMeter = new WorkerdMeter();
  await new Promise((r) => setTimeout(r, 3000));
  const idle = idleMeter.read();
  const meter = new WorkerdMeter();
  const secretaryId = await rig.ai.secretary("default");
  // A sentence, then 1.5 s of silence, looped: the stand-in hears an utterance end and answers each time.
  const sentence = loadFixture("caller-support.wav").data;
  const turn = new Uint8Array(sentence.byteLength + 48_000);
  turn.set(sentence);
  const load = new CallLoad({ port: rig.relay.audioPort, calls, secretaryId, audio: turn, connectBatch: 10 });
  try {
    await load.connect();
    load.start();
    await new Promise((r) => setTimeout(r, 4000));
    const h0 = await relayHealth(rig.relay);
    const events0 = rig.providerMessages;
    meter.reset();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const busy = meter.read();
    if (busy.replaced || idle.replaced) throw new Error("wrangler restarted workerd during the run (a reload): CPU not measured");
    const h1 = await relayHealth(rig.relay);
    const events = rig.providerMessages - events0;
    const d = healthDelta(h0, h1);
    return {
      calls,
      seconds: busy.wallSeconds,
      workerdIdleCores: idle.cores,
      workerdCores: busy.cores,
      workerdPctPerCall: ((busy.cores - idle.cores) / calls) * 100,
      hubMessagesPerSecond: d.messagesSent / busy.wallSeconds,
      providerEventsPerCallPerSecond: events / calls / busy.wallSeconds,
    };
  } finally {
    await load.close();
  }
}

