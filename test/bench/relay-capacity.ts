/**
 * Relay capacity: the real relay process, pinned to one core, carries N
 * simulated 16 kHz calls both ways (caller audio up, the stub's echo down,
 * played back to the module in `file` mode, the relay's default, or in
 * `stream` mode: one 20 ms streamAudio per frame) against the echo stub.
 * N ramps until a step fails:
 *
 * - a frame is lost (sent by a call and never echoed back, or dropped by the
 *   relay's outbox or playback), or
 * - the p99 up delay (module send -> stub receive) exceeds LINK_BUNDLE_MS
 *   (20 ms, the longest a frame may wait for its bundle; under the link's
 *   message budget it waits 4 ms at most) by 20 ms or more: the relay no
 *   longer keeps up in real time. The threshold stays at 40 ms so that runs
 *   compare with those from before the budget.
 *
 * CPU and RSS per call come from /proc (the step's figure minus the idle
 * relay's, divided by N). The generator runs on the other core; when its own
 * event loop lags, the step says so (the figure is then a floor).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { randomBytes, randomUUID } from "node:crypto";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { CallLoad, pct, readTag, Samples } from "../load/call-load.js";
import { pinToCore, ProcessMeter } from "../load/proc.js";
import { healthDelta, relayHealth } from "../load/relay-health.js";
import { EchoStub } from "./echo-stub.js";

export interface CapacityStep {
  calls: number;
  seconds: number;
  framesSent: number;
  framesLost: number;
  relayDropped: number;
  upDelayP50Ms: number;
  upDelayP99Ms: number;
  roundTripP99Ms: number;
  relayCores: number;
  relayRssMb: number;
  generatorLagP99Ms: number;
  linkMessagesPerSecond: number;
  passed: boolean;
  why: string;
}

export interface CapacityResult {
  playbackMode: "file" | "stream";
  pinned: boolean;
  bundleMs: number;
  idle: { cores: number; rssMb: number };
  steps: CapacityStep[];
  /** Largest N that passed. */
  capacity: number;
  /** True when the last step passed (capacity is a floor: the ramp ended, not the relay). */
  capacityIsFloor: boolean;
  cpuPerCallPct: number;
  rssPerCallKb: number;
  limitedBy: string;
}

export interface CapacityOptions {
  /** The relay's PLAYBACK_MODE: `file` (its default) sends agent audio in chunks, `stream` every 20 ms. */
  playbackMode: "file" | "stream";
  steps: number[];
  seconds: number;
  warmupSeconds: number;
  log: (line: string) => void;
}

const BUNDLE_MS = 20;
const LATE_MS = 20;

export async function relayCapacity(options: CapacityOptions): Promise<CapacityResult> {
  const token = randomBytes(24).toString("hex");
  const stub = await EchoStub.start(token);
  let relay: RelayProcess | undefined;
  try {
    relay = await startRelayProcess({
      cloudUrl: stub.baseUrl,
      relayToken: token,
      env: { PLAYBACK_MODE: options.playbackMode, CALL_SOCKET_WAIT_MS: "0", LINK_BUNDLE_MS: String(BUNDLE_MS), ESL_PORT: "1" },
    });
    const pid = relay.child.pid as number;
    const pinned = pinToCore(pid, 0) && pinToCore(process.pid, 1);
    await waitForLink(relay);
    const meter = new ProcessMeter(pid);
    await sleep(2000);
    const idleRead = meter.read();
    const idle = { cores: idleRead.cores, rssMb: idleRead.rssBytes / 2 ** 20 };
    options.log(`  relay idle: ${(idle.cores * 100).toFixed(2)}% of a core, RSS ${idle.rssMb.toFixed(1)} MB${pinned ? " (pinned to core 0, generator on core 1)" : " (taskset unavailable: not pinned)"}`);

    const steps: CapacityStep[] = [];
    for (const calls of options.steps) {
      const step = await runStep(relay, stub, meter, calls, options);
      steps.push(step);
      options.log(
        `  ${String(calls).padStart(5)} calls: ${step.passed ? "ok  " : "FAIL"} relay ${(step.relayCores * 100).toFixed(0)}% core, RSS ${step.relayRssMb.toFixed(0)} MB, up delay p50 ${step.upDelayP50Ms.toFixed(1)} p99 ${step.upDelayP99Ms.toFixed(1)} ms, link ${step.linkMessagesPerSecond.toFixed(0)} msg/s (${((calls * 50) / Math.max(step.linkMessagesPerSecond, 1)).toFixed(0)} frames each), lost ${step.framesLost + step.relayDropped}, generator lag p99 ${step.generatorLagP99Ms.toFixed(1)} ms${step.why ? ` (${step.why})` : ""}`,
      );
      if (!step.passed) break;
    }
    const passed = steps.filter((s) => s.passed);
    const best = passed.at(-1);
    const last = steps.at(-1);
    const perCall = best ?? steps[0];
    return {
      playbackMode: options.playbackMode,
      pinned,
      bundleMs: BUNDLE_MS,
      idle,
      steps,
      capacity: best?.calls ?? 0,
      capacityIsFloor: last?.passed ?? false,
      cpuPerCallPct: perCall ? ((perCall.relayCores - idle.cores) / perCall.calls) * 100 : NaN,
      rssPerCallKb: perCall ? ((perCall.relayRssMb - idle.rssMb) * 1024) / perCall.calls : NaN,
      limitedBy: last && !last.passed ? last.why : "the ramp's last step (raise --max-calls)",
    };
  } finally {
    await relay?.stop();
    await stub.close();
  }
}

async function runStep(relay: RelayProcess, stub: EchoStub, meter: ProcessMeter, calls: number, options: CapacityOptions): Promise<CapacityStep> {
  const load = new CallLoad({ port: relay.audioPort, calls, secretaryId: randomUUID(), connectBatch: 100 });
  const upDelays = new Samples();
  let measuring = false;
  stub.onUpFrame = (payload, at) => {
    if (!measuring) return;
    const tag = readTag(payload);
    const sent = tag ? load.sentTime(tag.call, tag.frame) : undefined;
    if (sent !== undefined) upDelays.push(at - sent);
  };
  try {
    await load.connect();
    load.start();
    await sleep(options.warmupSeconds * 1000);
    const lag = monitorEventLoopDelay({ resolution: 5 });
    load.resetStats();
    stub.resetCounters();
    const h0 = await relayHealth(relay);
    meter.reset();
    measuring = true;
    lag.enable();
    await sleep(options.seconds * 1000);
    const cost = meter.read();
    load.stop();
    lag.disable();
    await load.drain(1500, 10_000);
    measuring = false;
    const h1 = await relayHealth(relay);
    const stats = load.stats();
    const d = healthDelta(h0, h1);
    const framesLost = Math.max(0, stats.framesSent - stats.framesEchoed);
    const relayDropped = d.droppedAudioFrames + d.playbackFramesRefused;
    const up = upDelays.values();
    const upP99 = pct(up, 99);
    const lagP99 = lag.percentile(99) / 1e6;
    const why =
      stats.closedByRelay > 0 || stats.socketErrors > 0
        ? `${stats.closedByRelay} calls closed, ${stats.socketErrors} socket errors`
        : framesLost + relayDropped > 0
          ? `${framesLost + relayDropped} frames lost`
          : upP99 - BUNDLE_MS >= LATE_MS
            ? `p99 up delay ${upP99.toFixed(1)} ms >= bundle window ${BUNDLE_MS} + ${LATE_MS} ms`
            : "";
    return {
      calls,
      seconds: cost.wallSeconds,
      framesSent: stats.framesSent,
      framesLost,
      relayDropped,
      upDelayP50Ms: pct(up, 50),
      upDelayP99Ms: upP99,
      roundTripP99Ms: pct(stats.roundTrips, 99),
      relayCores: cost.cores,
      relayRssMb: cost.rssBytes / 2 ** 20,
      generatorLagP99Ms: lagP99,
      linkMessagesPerSecond: d.messagesSent / cost.wallSeconds,
      passed: why === "",
      why: why !== "" && lagP99 > LATE_MS ? `${why}; the generator lagged too (p99 ${lagP99.toFixed(0)} ms), so this may be its limit` : why,
    };
  } finally {
    stub.onUpFrame = undefined;
    await load.close();
    // Let the relay finish ending the calls before the next step.
    await waitIdle(relay);
  }
}

async function waitForLink(relay: RelayProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const h = await relayHealth(relay).catch(() => undefined);
    if (h?.link.state === "up") return;
    await sleep(50);
  }
  throw new Error("the relay's link did not come up");
}

async function waitIdle(relay: RelayProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const h = await relayHealth(relay).catch(() => undefined);
    if (h && h.calls === 0 && h.streams === 0) return;
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
