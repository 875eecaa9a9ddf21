/**
 * The load test: N simulated calls with real speech through the relay
 * process and the Worker in workerd (RelayHub, one CallSession per call,
 * the echo secretary: every frame that goes up must come back), or with
 * `ai`, AI secretaries on the OpenAI Realtime stand-in (each call says a
 * sentence every few seconds and must hear the agent). It reports
 * frames lost, round trips, memory of the relay and of workerd over time,
 * and errors; with progress lines while it runs. `npm run load` is the
 * command line; test/load/load.test.ts runs a short one in CI.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { startAiStack, type AiStack } from "../faults/ai-stack.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { loadFixture, speech16k } from "../stack/fixtures.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { CallLoad, pct } from "./call-load.js";
import { machineLoad, ProcessMeter, WorkerdMeter } from "./proc.js";
import { healthDelta, relayHealth, type RelayHealth } from "./relay-health.js";

export interface LoadOptions {
  calls: number;
  seconds: number;
  /** AI secretaries on the provider stand-in instead of the echo. */
  ai?: boolean;
  /** Progress line interval. */
  progressMs?: number;
  /** Frames lost beyond this fraction fail the run. */
  maxLostFraction?: number;
  /** Growth of either process's RSS from the end of the warm-up to the end beyond this fails the run. */
  maxGrowthMb?: number;
  /** The same for workerd alone (its heap grows for the first minute or so); defaults to maxGrowthMb. */
  maxWorkerdGrowthMb?: number;
  log?: (line: string) => void;
}

export interface MemorySample {
  atSeconds: number;
  relayMb: number;
  workerdMb: number;
}

export interface LoadReport {
  mode: "echo" | "ai";
  calls: number;
  seconds: number;
  framesSent: number;
  framesEchoed: number;
  framesLost: number;
  lostFraction: number;
  /** Calls that heard audio back, and seconds of it per call. */
  callsHeard: number;
  secondsHeardPerCall: number;
  roundTripMs: { p50: number; p95: number; p99: number; max: number };
  memory: MemorySample[];
  relayGrowthMb: number;
  workerdGrowthMb: number;
  relayCpuCores: number;
  workerdCpuCores: number;
  errors: string[];
  problems: string[];
  ok: boolean;
  loadAverage: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => undefined);
  const progressMs = options.progressMs ?? 5000;
  const token = randomBytes(24).toString("hex");
  const errors: string[] = [];
  let cloud: LocalCloud | undefined;
  let ai: AiStack | undefined;
  let relay: RelayProcess | undefined;
  let load: CallLoad | undefined;
  try {
    if (options.ai) ai = await startAiStack();
    else cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0 });
    relay = await startRelayProcess({
      cloudUrl: (ai?.url ?? (cloud as LocalCloud).url).origin,
      relayToken: ai?.relayToken ?? token,
      env: { PLAYBACK_MODE: "stream", CALL_SOCKET_WAIT_MS: "0", ESL_PORT: "1", LOG_LEVEL: "info" },
    });
    await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
    const logMark = relay.lines.length;
    const relayMeter = new ProcessMeter(relay.child.pid as number);
    // The whole run, and each progress interval (a restart of workerd by wrangler is an error of the run).
    const workerdMeter = new WorkerdMeter();
    let interval = new WorkerdMeter();
    const readWorkerd = (at: number) => {
      const w = interval.read();
      if (w.replaced) errors.push(`workerd restarted (reloaded) around ${at.toFixed(0)} s`);
      interval = new WorkerdMeter();
      return w;
    };

    const secretaryId = ai ? await ai.secretary("default") : randomUUID();
    load = new CallLoad({ port: relay.audioPort, calls: options.calls, secretaryId, audio: ai ? sentenceThenSilence() : speech16k(12), connectBatch: 25, echo: !ai });
    const t0 = performance.now();
    await load.connect();
    log(`load: ${options.calls} calls connected in ${((performance.now() - t0) / 1000).toFixed(1)} s; streaming for ${options.seconds} s`);
    load.start();
    const h0 = await relayHealth(relay);
    const memory: MemorySample[] = [];
    const started = performance.now();
    relayMeter.reset();
    workerdMeter.reset();
    interval.reset();
    let lastSent = 0;
    let lastEchoed = 0;
    let lastTrips = 0;
    const totalMs = options.seconds * 1000;
    for (let due = progressMs; ; due += progressMs) {
      const end = Math.min(due, totalMs);
      await sleep(started + end - performance.now());
      const at = (performance.now() - started) / 1000;
      const r = relayMeter.read();
      const w = readWorkerd(at);
      memory.push({ atSeconds: at, relayMb: r.rssBytes / 2 ** 20, workerdMb: w.rssBytes / 2 ** 20 });
      const s = load.stats();
      const trips = s.roundTrips.subarray(lastTrips);
      log(
        `  ${at.toFixed(0).padStart(4)} s  calls ${load.liveCalls}/${options.calls}  frames +${s.framesSent - lastSent} sent  ` +
          (ai
            ? `agent audio ${(s.bytesDown / 32_000 / options.calls).toFixed(1)} s per call, ${s.callsHeard} calls heard it  `
            : `+${s.framesEchoed - lastEchoed} back  round trip p50 ${pct(trips, 50).toFixed(0)} p99 ${pct(trips, 99).toFixed(0)} ms  `) +
          `relay ${(r.cores * 100).toFixed(0)}% ${(r.rssBytes / 2 ** 20).toFixed(0)} MB  workerd ${(w.cores * 100).toFixed(0)}% ${(w.rssBytes / 2 ** 20).toFixed(0)} MB`,
      );
      lastSent = s.framesSent;
      lastEchoed = s.framesEchoed;
      lastTrips = s.roundTrips.length;
      if (end >= totalMs) break;
    }
    const relayCost = relayMeter.read();
    const workerdCost = workerdMeter.read();
    load.stop();
    await load.drain(2000, 20_000);
    const h1 = await relayHealth(relay);
    const s = load.stats();
    collectErrors(errors, h0, h1, s, relay, logMark);
    // AI calls do not echo: what they must do is answer.
    const framesLost = ai ? 0 : Math.max(0, s.framesSent - s.framesEchoed);
    const lostFraction = s.framesSent > 0 ? framesLost / s.framesSent : 0;
    // Growth from the first sample after a third of the run (warm-up, sessions created) to the end.
    const base = memory.find((m) => m.atSeconds >= options.seconds / 3) ?? memory[0];
    const last = memory.at(-1);
    const relayGrowthMb = base && last ? last.relayMb - base.relayMb : 0;
    const workerdGrowthMb = base && last ? last.workerdMb - base.workerdMb : 0;
    const problems: string[] = [];
    const maxLost = options.maxLostFraction ?? 0.001;
    const maxGrowth = options.maxGrowthMb ?? 64;
    if (lostFraction > maxLost) problems.push(`${framesLost} of ${s.framesSent} frames lost (${(lostFraction * 100).toFixed(3)}% > ${(maxLost * 100).toFixed(3)}%)`);
    if (errors.length > 0) problems.push(`${errors.length} kinds of error`);
    if (s.callsHeard < options.calls) problems.push(`${options.calls - s.callsHeard} calls heard nothing back`);
    if (relayGrowthMb > maxGrowth) problems.push(`relay memory grew ${relayGrowthMb.toFixed(0)} MB (> ${maxGrowth})`);
    const maxWorkerdGrowth = options.maxWorkerdGrowthMb ?? maxGrowth;
    if (workerdGrowthMb > maxWorkerdGrowth) problems.push(`workerd memory grew ${workerdGrowthMb.toFixed(0)} MB (> ${maxWorkerdGrowth})`);
    const trips = s.roundTrips;
    return {
      mode: ai ? "ai" : "echo",
      calls: options.calls,
      seconds: options.seconds,
      framesSent: s.framesSent,
      framesEchoed: s.framesEchoed,
      framesLost,
      lostFraction,
      callsHeard: s.callsHeard,
      secondsHeardPerCall: s.bytesDown / 32_000 / options.calls,
      roundTripMs: { p50: pct(trips, 50), p95: pct(trips, 95), p99: pct(trips, 99), max: pct(trips, 100) },
      memory,
      relayGrowthMb,
      workerdGrowthMb,
      relayCpuCores: relayCost.cores,
      workerdCpuCores: workerdCost?.cores ?? NaN,
      errors,
      problems,
      ok: problems.length === 0,
      loadAverage: machineLoad().load1,
    };
  } finally {
    await load?.close();
    await relay?.stop();
    await cloud?.stop();
    await ai?.stop();
  }
}

/** A sentence, then 2 s of silence: the stand-in hears the utterance end and answers. */
function sentenceThenSilence(): Uint8Array {
  const sentence = loadFixture("caller-support.wav").data;
  const out = new Uint8Array(sentence.byteLength + 64_000);
  out.set(sentence);
  return out;
}

function collectErrors(errors: string[], h0: RelayHealth, h1: RelayHealth, s: ReturnType<CallLoad["stats"]>, relay: RelayProcess, logMark: number): void {
  const d = healthDelta(h0, h1);
  if (s.closedByRelay > 0) errors.push(`${s.closedByRelay} calls closed by the relay`);
  if (s.socketErrors > 0) errors.push(`${s.socketErrors} module socket errors`);
  if (s.duplicates > 0) errors.push(`${s.duplicates} frames echoed twice`);
  if (d.droppedAudioFrames > 0) errors.push(`${d.droppedAudioFrames} frames dropped by the relay's outbox`);
  if (d.playbackFramesRefused > 0) errors.push(`${d.playbackFramesRefused} down frames refused by playback`);
  if (d.callErrors > 0) errors.push(`${d.callErrors} call protocol errors`);
  if (d.protocolErrors > 0) errors.push(`${d.protocolErrors} link protocol errors`);
  if (d.streamErrors > 0) errors.push(`${d.streamErrors} audio stream errors`);
  if (h1.link.reconnects > h0.link.reconnects) errors.push(`${h1.link.reconnects - h0.link.reconnects} link reconnects`);
  // The relay's own errors (pino level 50 and up), except the inbound event socket it cannot reach here.
  const bad = relay.lines.slice(logMark).filter((l) => (l.level ?? 0) >= 50);
  for (const line of bad.slice(0, 5)) errors.push(`relay log: ${String(line.msg)}`);
}

/** The short report printed at the end. */
export function formatReport(r: LoadReport): string {
  const mem = (pick: (m: MemorySample) => number) => r.memory.map((m) => pick(m).toFixed(0)).join(" ");
  return [
    `load report: ${r.calls} ${r.mode} calls x ${r.seconds} s (load average ${r.loadAverage.toFixed(2)})`,
    r.mode === "echo"
      ? `  frames      ${r.framesSent} sent, ${r.framesEchoed} back, ${r.framesLost} lost (${(r.lostFraction * 100).toFixed(3)}%)`
      : `  agent       ${r.callsHeard} of ${r.calls} calls heard it, ${r.secondsHeardPerCall.toFixed(1)} s of agent audio per call (${r.framesSent} caller frames sent)`,
    r.mode === "ai" ? "" : `  round trip  p50 ${r.roundTripMs.p50.toFixed(1)}  p95 ${r.roundTripMs.p95.toFixed(1)}  p99 ${r.roundTripMs.p99.toFixed(1)}  max ${r.roundTripMs.max.toFixed(1)} ms (module -> relay -> hub -> session -> back, incl. real-time playback pacing)`,
    `  cpu         relay ${(r.relayCpuCores * 100).toFixed(0)}% of a core, workerd ${(r.workerdCpuCores * 100).toFixed(0)}%`,
    `  memory MB   relay   ${mem((m) => m.relayMb)}  (growth after warm-up ${r.relayGrowthMb.toFixed(1)})`,
    `              workerd ${mem((m) => m.workerdMb)}  (growth after warm-up ${r.workerdGrowthMb.toFixed(1)})`,
    `  errors      ${r.errors.length === 0 ? "none" : r.errors.join("; ")}`,
    `  result      ${r.ok ? "OK" : `FAILED: ${r.problems.join("; ")}`}`,
  ]
    .filter((line) => line !== "")
    .join("\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
