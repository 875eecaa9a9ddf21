/**
 * Figures of the whole stack on loopback: the Worker with its RelayHub and
 * CallSession objects in workerd (echo secretary), the relay process, and
 * simulated module calls.
 *
 * - Latency our hops add, one way: half the round trip module -> relay ->
 *   hub -> session -> hub -> relay -> module, per frame (the echo plays each
 *   frame back at once). Measured with the default bundling window and with
 *   LINK_BUNDLE_MS=1, which shows how much of it is the window.
 * - workerd CPU per call-second: workerd's CPU time (from /proc) over a
 *   fixed run of N calls, minus its idle rate over the same time, divided by
 *   N x seconds. It covers the hub and the sessions together.
 * - Incoming messages per second per Durable Object: counted on the relay
 *   side (messages the relay sends = messages the hub receives). Each
 *   session gets one RPC per hub message that holds its frames.
 * - Link bandwidth per call: the relay's link byte counters over the run.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { speech16k } from "../stack/fixtures.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { CallLoad, pct } from "../load/call-load.js";
import { WorkerdMeter } from "../load/proc.js";
import { healthDelta, relayHealth } from "../load/relay-health.js";

export interface LatencyRun {
  calls: number;
  bundleMs: number;
  frames: number;
  lost: number;
  oneWayP50Ms: number;
  oneWayP99Ms: number;
}

export interface CostRun {
  calls: number;
  seconds: number;
  framesSent: number;
  framesLost: number;
  roundTripP50Ms: number;
  roundTripP99Ms: number;
  workerdIdleCores: number;
  workerdCores: number;
  /** Percent of one core per call, hub and sessions together. */
  workerdPctPerCall: number;
  workerdRssMb: number;
  hubMessagesPerSecond: number;
  /** Messages the hub sends the relay (outgoing: not the platform's limit, but the relay's cost). */
  relayInMessagesPerSecond: number;
  /** Upper bound: one session RPC per hub message holding the call's frames, at most one per frame. */
  sessionRequestsPerSecond: number;
  upKbitPerCall: number;
  downKbitPerCall: number;
}

export interface StackOptions {
  latencyCalls: number;
  latencySeconds: number;
  costCalls: number;
  costSeconds: number;
  log: (line: string) => void;
}

export async function stackBench(options: StackOptions): Promise<{ latency: LatencyRun[]; cost: CostRun | { error: string } }> {
  const token = randomBytes(24).toString("hex");
  const cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0 });
  try {
    const latency: LatencyRun[] = [];
    for (const bundleMs of [20, 1]) {
      const relay = await startRelay(cloud, token, bundleMs);
      try {
        const run = await latencyRun(relay, options.latencyCalls, options.latencySeconds, bundleMs);
        latency.push(run);
        options.log(`  stack one way, ${run.calls} calls, LINK_BUNDLE_MS=${bundleMs}: p50 ${run.oneWayP50Ms.toFixed(2)} ms, p99 ${run.oneWayP99Ms.toFixed(2)} ms (${run.frames} frames, ${run.lost} lost)`);
      } finally {
        await relay.stop();
      }
    }
    const relay = await startRelay(cloud, token, 20);
    try {
      const cost = await costRun(relay, options.costCalls, options.costSeconds).catch((err: Error) => ({ error: err.message }));
      if ("error" in cost) options.log(`  workerd run failed: ${cost.error}`);
      else
        options.log(
          `  workerd at ${cost.calls} calls: ${(cost.workerdCores * 100).toFixed(0)}% of a core (idle ${(cost.workerdIdleCores * 100).toFixed(1)}%), ${cost.workerdPctPerCall.toFixed(3)}% per call; hub ${cost.hubMessagesPerSecond.toFixed(0)} msg/s; lost ${cost.framesLost}; round trip p99 ${cost.roundTripP99Ms.toFixed(1)} ms`,
        );
      return { latency, cost };
    } finally {
      await relay.stop();
    }
  } finally {
    await cloud.stop();
  }
}

async function startRelay(cloud: LocalCloud, token: string, bundleMs: number): Promise<RelayProcess> {
  const relay = await startRelayProcess({
    cloudUrl: cloud.url.origin,
    relayToken: token,
    env: { PLAYBACK_MODE: "stream", CALL_SOCKET_WAIT_MS: "0", LINK_BUNDLE_MS: String(bundleMs), ESL_PORT: "1" },
  });
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
  return relay;
}

async function latencyRun(relay: RelayProcess, calls: number, seconds: number, bundleMs: number): Promise<LatencyRun> {
  const load = new CallLoad({ port: relay.audioPort, calls, secretaryId: randomUUID(), audio: speech16k(4) });
  try {
    await load.connect();
    load.start();
    await sleep(1000);
    // The relay paces playback in real time and never faster, so the burst of a session's start
    // stays queued as a standing delay while the echo never pauses: pause, let it drain, resume.
    load.stop();
    await load.drain(300, 5000);
    load.resetStats();
    load.start();
    await sleep(seconds * 1000);
    load.stop();
    await load.drain(1000, 10_000);
    const s = load.stats();
    const oneWay = s.roundTrips.map((t) => t / 2);
    return { calls, bundleMs, frames: s.framesEchoed, lost: Math.max(0, s.framesSent - s.framesEchoed), oneWayP50Ms: pct(oneWay, 50), oneWayP99Ms: pct(oneWay, 99) };
  } finally {
    await load.close();
  }
}

async function costRun(relay: RelayProcess, calls: number, seconds: number): Promise<CostRun> {
  const idleMeter = new WorkerdMeter();
  await new Promise((r) => setTimeout(r, 3000));
  const idle = idleMeter.read();
  const meter = new WorkerdMeter();
  const load = new CallLoad({ port: relay.audioPort, calls, secretaryId: randomUUID(), audio: speech16k(4), connectBatch: 25 });
  try {
    await load.connect();
    load.start();
    await sleep(3000);
    load.resetStats();
    const h0 = await relayHealth(relay);
    meter.reset();
    await sleep(seconds * 1000);
    const busy = meter.read();
    if (busy.replaced || idle.replaced) throw new Error("wrangler restarted workerd during the run (a reload): CPU not measured");
    const h1 = await relayHealth(relay);
    load.stop();
    await load.drain(1500, 15_000);
    const s = load.stats();
    const d = healthDelta(h0, h1);
    const wall = busy.wallSeconds;
    const hubRate = d.messagesSent / wall;
    return {
      calls,
      seconds: wall,
      framesSent: s.framesSent,
      framesLost: Math.max(0, s.framesSent - s.framesEchoed),
      roundTripP50Ms: pct(s.roundTrips, 50),
      roundTripP99Ms: pct(s.roundTrips, 99),
      workerdIdleCores: idle.cores,
      workerdCores: busy.cores,
      workerdPctPerCall: ((busy.cores - idle.cores) / calls) * 100,
      workerdRssMb: busy.rssBytes / 2 ** 20,
      hubMessagesPerSecond: hubRate,
      relayInMessagesPerSecond: d.messagesReceived / wall,
      sessionRequestsPerSecond: Math.min(hubRate, 50),
      upKbitPerCall: (d.bytesSent * 8) / 1000 / wall / calls,
      downKbitPerCall: (d.bytesReceived * 8) / 1000 / wall / calls,
    };
  } finally {
    await load.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
