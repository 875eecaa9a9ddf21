/**
 * A CPU profile of the Worker's isolate (hub and sessions share it locally)
 * under the hub-cost load: wrangler's inspector, Profiler.start/stop over CDP.
 * Prints the top functions by self time; writes the .cpuprofile for DevTools.
 *
 *   npx tsx test/bench/hub-profile.ts [--calls 50] [--seconds 8] [--out hub.cpuprofile]
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startLocalCloud } from "../stack/cloud.js";
import { hubCost } from "./hub-cost.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: "string", default: "50" }, seconds: { type: "string", default: "8" }, out: { type: "string" } } });
  const token = randomBytes(24).toString("hex");
  const cloud = await startLocalCloud({ relayToken: token, inspector: true });
  const inspectorUrl = cloud.inspectorUrl;
  try {
    const list = (await (await fetch(new URL("/json", inspectorUrl?.href.replace(/^ws/, "http")))).json()) as { webSocketDebuggerUrl: string; title?: string }[];
    const target = list[0]?.webSocketDebuggerUrl;
    if (!target) throw new Error(`no inspector target: ${JSON.stringify(list)}`);
    const cdp = new WebSocket(target);
    await new Promise((r, j) => cdp.once("open", r).once("error", j));
    let id = 0;
    const pending = new Map<number, (v: unknown) => void>();
    cdp.on("message", (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
      if (m.id !== undefined) pending.get(m.id)?.(m.result);
    });
    const send = (method: string, params: object = {}) =>
      new Promise<unknown>((r) => {
        pending.set(++id, r);
        cdp.send(JSON.stringify({ id, method, params }));
      });
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 200 });
    const calls = Number(values.calls);
    const seconds = Number(values.seconds);
    let stopped: Promise<unknown> | undefined;
    // Start profiling once the calls are up (hubCost measures after 3 s); stop just before it returns.
    setTimeout(() => void send("Profiler.start"), 3000);
    setTimeout(() => (stopped = send("Profiler.stop")), 3000 + seconds * 1000 - 200);
    const run = await hubCost(cloud, token, "echo", calls, seconds);
    const { profile } = (await stopped) as { profile: Profile };
    cdp.close();
    console.log(`echo ${calls} calls: ${run.pctPerCall.toFixed(3)}% per call (profiler on, idle not subtracted), echoed ${run.framesEchoed}/${run.framesSent}`);
    if (values.out) writeFileSync(values.out, JSON.stringify(profile));
    report(profile);
  } finally {
    await cloud.stop();
  }
}

function report(p: Profile): void {
  const self = new Map<number, number>();
  p.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = p.nodes.filter((n) => n.callFrame.functionName === "(idle)").reduce((a, n) => a + (self.get(n.id) ?? 0), 0);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`;
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [nid, t] of self) {
    const n = byNode.get(nid) as ProfileNode;
    selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + t);
    const seen = new Set<string>();
    for (let c: number | undefined = nid; c !== undefined; c = parent.get(c)) {
      const k = key(byNode.get(c) as ProfileNode);
      if (seen.has(k)) continue;
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + t);
    }
  }
  const busy = total - idle;
  console.log(`samples ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s`);
  const top = (m: Map<string, number>, label: string) => {
    console.log(label);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${((t / busy) * 100).toFixed(1).padStart(5)}%  ${k}`);
  };
  top(selfBy, "self time, % of busy");
  top(totalBy, "total time, % of busy");
}

await main();
