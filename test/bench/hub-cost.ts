/**
 * Where the cloud's CPU per call goes: the local workerd driven straight by
 * a raw link peer (no relay process, no module sockets), so the figure is
 * the hub's and the sessions' alone, and the traffic is the same every run.
 *
 * The peer sends what the relay sends at its default message budget (100
 * messages a second): every 10 ms one message with a 20 ms, 16 kHz PCM16
 * frame of half the calls, so each session gets 50 RPCs a second. It counts
 * the echoed frames that come back.
 *
 * Modes, each workerd's CPU over `--seconds` minus its idle rate, per call:
 * - `echo`: N echo calls, the whole path (hub decode, one RPC per call per
 *   message, the session's echo, the downlink encode and send).
 * - `hub-only`: the same messages, but on slots no call holds: the hub
 *   decodes and drops them, no RPC. It pays one SQLite counter write per
 *   message (unknown_slot_frames), about as much again as the decoding.
 *
 * The finer split in README.md ("Cloud CPU per call: where it goes") came
 * from running `echo` against copies of the tree patched in one place: the
 * session's audio() answering at once with nothing, and the hub's
 * flushAudio() not making the RPC. Raw cores compare better than the
 * figure per call: the idle rate (3 s) swings by several % of a core.
 *
 *   npx tsx test/bench/hub-cost.ts [--calls 50] [--seconds 10] [--modes echo,hub-only]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { Direction, Encoding, LinkDecoder, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type AudioFrame } from "../../shared/link/index.js";
import { LinkPeer } from "../../relay/testing/link-peer.js";
import { waitFor } from "../../relay/testing/wait.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { WorkerdMeter } from "../load/proc.js";

export type HubCostMode = "echo" | "hub-only";

export interface HubCostRun {
  mode: HubCostMode;
  calls: number;
  seconds: number;
  messagesPerSecond: number;
  framesSent: number;
  framesEchoed: number;
  /** Messages the hub sent the peer per second (the link's downstream messages). */
  downMessagesPerSecond: number;
  workerdIdleCores: number;
  workerdCores: number;
  /** Percent of one core per call. */
  pctPerCall: number;
}

const TICK_MS = 10;
const FRAME_BYTES = 640; // 20 ms of 16 kHz PCM16

/** A link peer that only counts what the cloud sends (keeping every item would cost the bench, not workerd). */
class CountingPeer extends LinkPeer {
  framesDown = 0;
  messagesDown = 0;
  welcomed = false;

  static async connect(base: URL, token: string): Promise<CountingPeer> {
    const url = new URL("/v1/relay/connect", base);
    url.protocol = "ws:";
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    const peer = new CountingPeer(ws, { closeTimeoutMs: 5000, closeWhat: "close", countDecodeErrors: true });
    peer.sendControl({ type: "hello", protocolVersion: PROTOCOL_VERSION, minProtocolVersion: MIN_PROTOCOL_VERSION, software: "hub-cost/1", capabilities: [] });
    await waitFor(() => peer.welcomed || peer.closeInfo !== undefined, { timeoutMs: 10_000, what: "welcome" });
    if (peer.closeInfo) throw new Error(`closed during the handshake: ${peer.closeInfo.code}`);
    return peer;
  }

  protected override onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return;
    this.messagesDown++;
    for (const item of new LinkDecoder().decodeMessage(data)) {
      if (item.kind === "audio") this.framesDown++;
      else if (item.kind === "control" && item.message.type === "welcome") this.welcomed = true;
      else if (item.kind === "control" && item.message.type === "call.end") throw new Error(`call ended by the cloud: ${JSON.stringify(item.message)}`);
    }
  }
}

/** One run against a started cloud; `idleCores` is workerd's idle rate ({@link workerdIdleCores}). */
export async function hubCost(cloud: Pick<LocalCloud, "url">, token: string, mode: HubCostMode, calls: number, seconds: number, idleCores = 0): Promise<HubCostRun> {
  const peer = await CountingPeer.connect(cloud.url, token);
  try {
    const slots = Array.from({ length: calls }, (_, i) => (mode === "echo" ? i + 1 : 30_000 + i));
    if (mode === "echo") {
      for (const slot of slots) {
        peer.sendControl({
          type: "call.start",
          callId: randomUUID(),
          slot,
          secretaryId: randomUUID(),
          caller: { number: "+5511999990000" },
          audio: { encoding: "L16", sampleRate: 16000 },
        });
      }
    }
    const payload = new Uint8Array(FRAME_BYTES).map((_, i) => (i * 37) & 0xff);
    const seqs = new Map<number, number>();
    let sent = 0;
    const tick = (n: number) => {
      // Half the calls on even ticks, the other half on odd ones: 20 ms per call, 100 messages a second.
      const half = slots.filter((_, i) => i % 2 === n % 2);
      const frames: AudioFrame[] = half.map((slot) => {
        const seq = seqs.get(slot) ?? 0;
        seqs.set(slot, seq + 1);
        return { slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000, seq, timestampMs: seq * 20, payload };
      });
      if (frames.length > 0) peer.sendFrames(frames);
      sent += frames.length;
    };
    let n = 0;
    const t0 = performance.now();
    // A self-correcting clock: the bench's own timer jitter must not change the rate.
    const timer = setInterval(() => {
      const due = Math.floor((performance.now() - t0) / TICK_MS);
      while (n < due) tick(n++);
    }, TICK_MS / 2);
    try {
      await sleep(3000); // sessions started, steady state
      const meter = new WorkerdMeter();
      const sent0 = sent;
      const echoed0 = peer.framesDown;
      const down0 = peer.messagesDown;
      const ticks0 = n;
      await sleep(seconds * 1000);
      const busy = meter.read();
      if (busy.replaced) throw new Error("workerd restarted during the run");
      const idle = idleCores;
      return {
        mode,
        calls,
        seconds: busy.wallSeconds,
        messagesPerSecond: (n - ticks0) / busy.wallSeconds,
        framesSent: sent - sent0,
        framesEchoed: peer.framesDown - echoed0,
        downMessagesPerSecond: (peer.messagesDown - down0) / busy.wallSeconds,
        workerdIdleCores: idle,
        workerdCores: busy.cores,
        pctPerCall: ((busy.cores - idle) / calls) * 100,
      };
    } finally {
      clearInterval(timer);
    }
  } finally {
    peer.ws.terminate();
    await sleep(500);
  }
}

/** workerd's CPU with no link traffic, fraction of a core. */
export async function workerdIdleCores(): Promise<number> {
  const meter = new WorkerdMeter();
  await sleep(3000);
  return meter.read().cores;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: "string", default: "50" },
      seconds: { type: "string", default: "10" },
      modes: { type: "string", default: "echo,hub-only" },
      repeat: { type: "string", default: "1" },
    },
  });
  const calls = Number(values.calls);
  const seconds = Number(values.seconds);
  const modes = (values.modes ?? "").split(",") as HubCostMode[];
  const token = randomBytes(24).toString("hex");
  const cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0 });
  try {
    await sleep(1000);
    const idleCores = await workerdIdleCores();
    console.log(`workerd idle ${(idleCores * 100).toFixed(2)}% of a core; load average ${(await import("node:os")).loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    for (let r = 0; r < Number(values.repeat); r++) {
      for (const mode of modes) {
        const run = await hubCost(cloud, token, mode, calls, seconds, idleCores);
        console.log(
          `${run.mode.padEnd(8)} ${run.calls} calls: workerd ${(run.workerdCores * 100).toFixed(1)}% of a core, ${run.pctPerCall.toFixed(3)}% per call; ` +
            `${run.messagesPerSecond.toFixed(0)} msg/s up, ${run.downMessagesPerSecond.toFixed(0)} down; frames sent ${run.framesSent}, echoed ${run.framesEchoed}`,
        );
      }
    }
  } finally {
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
