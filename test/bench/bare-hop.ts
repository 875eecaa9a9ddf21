/**
 * The floor for latency: one bare loopback `ws` hop. A `ws` echo server in
 * a child process (so, like our hops, each end has its own event loop) and
 * `calls` sockets sending a 640-byte binary frame every 20 ms; one way is
 * half the round trip.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import WebSocket, { WebSocketServer } from "ws";
import { pct, Samples } from "../load/call-load.js";

export interface BareHopResult {
  frames: number;
  oneWayP50Ms: number;
  oneWayP99Ms: number;
}

export async function bareHop(calls: number, seconds: number): Promise<BareHopResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m) => resolve(Number(m)));
    child.once("exit", (code) => reject(new Error(`echo server exited (${code})`)));
  });
  const trips = new Samples();
  const sockets = await Promise.all(
    Array.from({ length: calls }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
      ws.on("message", (data: Buffer) => trips.push(performance.now() - data.readDoubleLE(0)));
      return new Promise<WebSocket>((resolve, reject) => ws.once("open", () => resolve(ws)).once("error", reject));
    }),
  );
  const frame = Buffer.alloc(640);
  const start = performance.now();
  for (let i = 0; performance.now() - start < seconds * 1000; i++) {
    for (const ws of sockets) {
      frame.writeDoubleLE(performance.now(), 0);
      ws.send(frame, { binary: true });
    }
    const due = start + (i + 1) * 20;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const ws of sockets) ws.terminate();
  child.kill();
  const oneWay = trips.values().map((t) => t / 2);
  return { frames: trips.length, oneWayP50Ms: pct(oneWay, 50), oneWayP99Ms: pct(oneWay, 99) };
}

if (process.argv.includes("--serve")) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  wss.on("listening", () => {
    const address = wss.address();
    process.send?.(typeof address === "string" || address === null ? 0 : address.port);
  });
}
