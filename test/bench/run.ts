/**
 * `npm run bench`: measures what the product promises on this machine and
 * prints one table; every figure comes from this run, each beside its floor
 * where one exists. The results also go to bench-results/<timestamp>.json.
 *
 *   npm run bench                      full run (~4 min)
 *   npm run bench -- --quick           smaller ramps and shorter runs (~2 min)
 *   npm run bench -- --max-calls 3000  ramp the relay further
 *   npm run bench -- --do-calls 50     echo calls through workerd (CPU per call, downlink bandwidth)
 *   npm run bench -- --link-calls 500  calls for the messages per second per Durable Object
 *   npm run bench -- --ai-calls 50     AI calls for the CPU per AI call figure
 *   npm run bench -- --compare a.json b.json   two runs side by side
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineLoad } from "../load/proc.js";
import { bareHop } from "./bare-hop.js";
import { aiLatency } from "./ai-latency.js";
import { relayBargeIn } from "./barge-in.js";
import { relayCapacity } from "./relay-capacity.js";
import { stackBench } from "./stack.js";
import { linkRate } from "./link-rate.js";
import { formatTable, type Row } from "./table.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      "max-calls": { type: "string" },
      "do-calls": { type: "string" },
      "ai-calls": { type: "string" },
      "link-calls": { type: "string" },
      compare: { type: "boolean", default: false },
    },
  });
  if (values.compare) return compare(positionals);
  const quick = values.quick;
  const maxCalls = Number(values["max-calls"] ?? (quick ? 800 : 2000));
  const doCalls = Number(values["do-calls"] ?? 50);
  const linkCalls = Number(values["link-calls"] ?? 500);
  const ramp = [50, 100, 200, 300, 400, 600, 800, 1000, 1500, 2000, 2500, 3000, 4000].filter((n) => n <= maxCalls);
  const log = (line: string) => console.log(line);
  const before = machineLoad();
  const started = new Date();
  log(`bench ${started.toISOString()}: ${before.cores} cores, load average ${before.load1.toFixed(2)} (1 min) ${before.load5.toFixed(2)} (5 min)`);
  if (before.load1 > before.cores * 0.75) log(`  note: the machine is busy (load ${before.load1.toFixed(1)} on ${before.cores} cores); tails and capacity will read worse than on a quiet one`);

  log("relay capacity, file playback (the default; relay pinned to one core, echo stub, 16 kHz both ways):");
  const capacity = await relayCapacity({ playbackMode: "file", steps: ramp, seconds: quick ? 4 : 8, warmupSeconds: 2, log });
  log("relay capacity, stream playback (one 20 ms streamAudio per frame):");
  const streamCapacity = await relayCapacity({ playbackMode: "stream", steps: ramp, seconds: quick ? 4 : 8, warmupSeconds: 2, log });
  log("bare loopback ws hop:");
  const bare = await bareHop(10, quick ? 4 : 8);
  log(`  one way p50 ${bare.oneWayP50Ms.toFixed(2)} ms, p99 ${bare.oneWayP99Ms.toFixed(2)} ms`);
  log("whole stack (workerd: RelayHub + CallSession with the echo secretary):");
  const stack = await stackBench({ latencyCalls: 10, latencySeconds: quick ? 4 : 8, costCalls: doCalls, costSeconds: quick ? 5 : 10, log });
  log(`messages per second per Durable Object at ${linkCalls} calls (counted on the relay's side, echo stub):`);
  const rate = await linkRate(linkCalls, quick ? 5 : 10);
  log(`  RelayHub ${rate.hubMessagesPerSecond.toFixed(0)} msg/s (${rate.framesPerMessage.toFixed(0)} frames each), busiest CallSession ${rate.sessionRpcPerSecond.toFixed(0)} RPC/s, ${rate.framesLost} frames lost`);
  log("barge-in, relay part (playback.clear -> uuid_break at the simulator):");
  const barge = await relayBargeIn(quick ? 50 : 200);
  log(`  p50 ${barge.p50Ms.toFixed(2)} ms, p99 ${barge.p99Ms.toFixed(2)} ms over ${barge.samples}`);
  log("AI calls (OpenAI Realtime stand-in, Postgres config, relay in file playback mode, FreeSWITCH simulator):");
  const aiCalls = Number(values["ai-calls"] ?? (quick ? 20 : 50));
  const ai = await aiLatency(quick ? 4 : 10, aiCalls, quick ? 5 : 10);
  log(
    `  greeting uncached p50 ${ai.greetingUncachedMs.p50.toFixed(0)} ms, cached p50 ${ai.greetingCachedMs.p50.toFixed(0)} ms; barge-in p50 ${ai.bargeInMs.p50.toFixed(1)} ms p99 ${ai.bargeInMs.p99.toFixed(1)} ms over ${ai.bargeInMs.samples}`,
  );
  const after = machineLoad();

  const rows = buildRows({ capacity, streamCapacity, bare, stack, barge, ai, rate, doCalls });
  log("");
  log(formatTable(rows));
  log(`relay capacity stopped by: ${capacity.limitedBy} (file), ${streamCapacity.limitedBy} (stream)`);
  if (!("error" in stack.cost)) log(`relay receives ${f(stack.cost.relayInMessagesPerSecond, 0)} msg/s from the hub at ${stack.cost.calls} calls (agent audio is one message per call per session reply)`);
  log(`load average ${before.load1.toFixed(2)} before, ${after.load1.toFixed(2)} after (${after.cores} cores)`);
  const file = `bench-results/${started.toISOString().replace(/[:.]/g, "-")}.json`;
  mkdirSync(`${root}bench-results`, { recursive: true });
  writeFileSync(
    `${root}${file}`,
    `${JSON.stringify({ startedAt: started.toISOString(), commit: gitCommit(), node: process.version, machine: { before, after }, options: { quick, maxCalls, doCalls }, rows, raw: { capacity, streamCapacity, bare, stack, barge, ai, rate } }, null, 2)}\n`,
  );
  log(`results: ${file} (compare two runs: npm run bench -- --compare <a.json> <b.json>)`);
}

interface Results {
  capacity: Awaited<ReturnType<typeof relayCapacity>>;
  streamCapacity: Awaited<ReturnType<typeof relayCapacity>>;
  bare: Awaited<ReturnType<typeof bareHop>>;
  stack: Awaited<ReturnType<typeof stackBench>>;
  barge: Awaited<ReturnType<typeof relayBargeIn>>;
  ai: Awaited<ReturnType<typeof aiLatency>>;
  rate: Awaited<ReturnType<typeof linkRate>>;
  doCalls: number;
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

function buildRows({ capacity: fileCapacity, streamCapacity, bare, stack, barge, ai, rate, doCalls }: Results): Row[] {
  const rows: Row[] = [];
  for (const capacity of [fileCapacity, streamCapacity]) {
    const cap = capacity.capacity;
    rows.push({
      figure: `relay capacity, calls per core (${capacity.playbackMode} playback)`,
      value: `${capacity.capacityIsFloor ? ">= " : ""}${cap}`,
      floor: "",
      goal: ">= 2000",
      met: cap >= 2000 ? "yes" : capacity.capacityIsFloor ? "unknown (ramp ended)" : `no (${f(2000 / Math.max(cap, 1), 1)}x short)`,
    });
    rows.push({
      figure: `relay CPU, RSS per call (${capacity.playbackMode} playback)`,
      value: `${f(capacity.cpuPerCallPct, 3)}% core (~${f(100 / capacity.cpuPerCallPct, 0)} calls/core by CPU), ${f(capacity.rssPerCallKb, 0)} KiB`,
      floor: `idle ${f(capacity.idle.cores * 100, 2)}%, ${f(capacity.idle.rssMb, 0)} MiB`,
      goal: "<= 0.05% (2000/core)",
      met: capacity.cpuPerCallPct <= 0.05 ? "yes" : `no (${f(capacity.cpuPerCallPct / 0.05, 1)}x)`,
    });
  }
  const [withWindow, noWindow] = stack.latency;
  for (const run of [withWindow, noWindow]) {
    if (!run) continue;
    const ratio = run.oneWayP99Ms / bare.oneWayP99Ms;
    rows.push({
      figure: `added latency one way p50/p99 (LINK_BUNDLE_MS=${run.bundleMs})`,
      value: `${f(run.oneWayP50Ms, 2)} / ${f(run.oneWayP99Ms, 2)} ms`,
      floor: `bare ws hop ${f(bare.oneWayP50Ms, 2)} / ${f(bare.oneWayP99Ms, 2)} ms`,
      goal: "p99 < 2 ms, <= 3x bare",
      met: run.oneWayP99Ms < 2 && ratio <= 3 ? "yes" : `no (p99 ${f(run.oneWayP99Ms / 2, 0)}x the 2 ms goal, ${f(ratio, 1)}x bare)`,
    });
  }
  rows.push({
    figure: "barge-in, relay part: playback.clear -> uuid_break p50/p99",
    value: `${f(barge.p50Ms, 2)} / ${f(barge.p99Ms, 2)} ms`,
    floor: "",
    goal: "(part of the 30 ms)",
    met: barge.p99Ms < 30 ? "yes" : "no",
  });
  rows.push({
    figure: "barge-in: provider speech-start -> uuid_break p50/p99",
    value: `${f(ai.bargeInMs.p50, 2)} / ${f(ai.bargeInMs.p99, 2)} ms (${ai.bargeInMs.samples})`,
    floor: `relay part ${f(barge.p50Ms, 2)} / ${f(barge.p99Ms, 2)} ms`,
    goal: "< 30 ms",
    met: ai.bargeInMs.p99 < 30 ? "yes" : ai.bargeInMs.p50 < 30 ? "p50 yes, p99 no" : "no",
  });
  rows.push({
    figure: "greeting: answer -> first playback p50/p99, cached",
    value: `${f(ai.greetingCachedMs.p50, 0)} / ${f(ai.greetingCachedMs.p99, 0)} ms`,
    floor: `uncached ${f(ai.greetingUncachedMs.p50, 0)} / ${f(ai.greetingUncachedMs.p99, 0)} ms (stand-in)`,
    goal: "cached < 150 ms",
    met: ai.greetingCachedMs.p99 < 150 ? "yes" : ai.greetingCachedMs.p50 < 150 ? "p50 yes, p99 no" : "no",
  });
  rows.push({
    figure: `incoming msg/s per DO at ${rate.calls} calls: RelayHub / busiest CallSession`,
    value: `${f(rate.hubMessagesPerSecond, 0)} / ${f(rate.sessionRpcPerSecond, 0)}`,
    floor: `${f(rate.framesPerMessage, 0)} frames per message`,
    goal: "< ~1000",
    met: rate.hubMessagesPerSecond < 1000 && rate.sessionRpcPerSecond < 1000 ? "yes" : "no",
  });
  const cost = stack.cost;
  if ("error" in cost) {
    rows.push({ figure: `workerd CPU per call (${doCalls} calls)`, value: `failed: ${cost.error}`, floor: "", goal: "< 0.5% core", met: "not measured" });
  } else {
    const lostPct = cost.framesSent > 0 ? (cost.framesLost / cost.framesSent) * 100 : 0;
    const overloaded = lostPct > 1;
    rows.push({
      figure: `workerd CPU per call, hub + session, echo (${cost.calls} calls)`,
      value: `${f(cost.workerdPctPerCall, 3)}% core${overloaded ? ` (OVERLOADED: ${f(lostPct, 0)}% frames lost)` : ""}`,
      floor: `idle ${f(cost.workerdIdleCores * 100, 2)}% core`,
      goal: "< 0.5% core",
      met: overloaded ? "not valid (overloaded)" : cost.workerdPctPerCall < 0.5 ? "yes" : `no (${f(cost.workerdPctPerCall / 0.5, 1)}x)`,
    });
    const aiCost = ai.cost;
    if ("error" in aiCost) rows.push({ figure: "workerd CPU per call, AI secretary", value: `failed: ${aiCost.error}`, floor: "", goal: "< 0.5% core", met: "not measured" });
    else {
      rows.push({
        figure: `workerd CPU per call, AI secretary (${aiCost.calls} calls)`,
        value: `${f(aiCost.workerdPctPerCall, 3)}% core`,
        floor: `echo ${f(cost.workerdPctPerCall, 3)}%`,
        goal: "< 0.5% core",
        met: aiCost.workerdPctPerCall < 0.5 ? "yes" : `no (${f(aiCost.workerdPctPerCall / 0.5, 1)}x)`,
      });
      rows.push({
        figure: `incoming msg/s per CallSession, AI (${aiCost.calls} calls): hub RPCs + provider events`,
        value: `<= ${f(Math.min(aiCost.hubMessagesPerSecond, 50), 0)} + ${f(aiCost.providerEventsPerCallPerSecond, 1)}`,
        floor: `hub ${f(aiCost.hubMessagesPerSecond, 0)} msg/s`,
        goal: "< ~1000",
        met: aiCost.hubMessagesPerSecond < 1000 && Math.min(aiCost.hubMessagesPerSecond, 50) + aiCost.providerEventsPerCallPerSecond < 1000 ? "yes" : "no",
      });
    }
    rows.push({
      figure: `link bandwidth per call, up (${rate.calls} calls) / down (${cost.calls} calls, via the hub)`,
      value: `${f(rate.upKbitPerCall, 0)} / ${f(cost.downKbitPerCall, 0)} kbit/s${overloaded ? " (down: workerd overloaded)" : ""}`,
      floor: "PCM16 16 kHz = 256 kbit/s",
      goal: "",
      met: "",
    });
  }
  return rows;
}

function compare(files: string[]): void {
  if (files.length !== 2) {
    console.error("usage: npm run bench -- --compare <a.json> <b.json>");
    process.exit(2);
  }
  const [a, b] = files.map((file) => JSON.parse(readFileSync(file, "utf8")) as { startedAt: string; rows: Row[]; machine: { before: { load1: number } } });
  if (!a || !b) return;
  console.log(`A: ${a.startedAt} (load ${a.machine.before.load1})   B: ${b.startedAt} (load ${b.machine.before.load1})`);
  const rows: Row[] = a.rows.map((row) => {
    const other = b.rows.find((r) => r.figure === row.figure);
    return { figure: row.figure, value: row.value, floor: other?.value ?? "(absent)", goal: row.goal, met: "" };
  });
  console.log(formatTable(rows, ["figure", "A", "B", "goal", ""]));
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
  } catch {
    return "unknown";
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
