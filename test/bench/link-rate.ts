/**
 * Incoming messages per second per Durable Object at N calls, counted on
 * the relay's side of the link: what the relay sends is what its RelayHub
 * receives, and each CallSession gets one RPC per hub message that carries
 * its frames. Measured against the echo stub, so the figure is the relay's
 * own output whatever the local workerd (one thread for the hub and every
 * session) can take. Bandwidth per call comes with it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { startRelayProcess } from "../stack/relay-process.js";
import { speech16k } from "../stack/fixtures.js";
import { CallLoad } from "../load/call-load.js";
import { healthDelta, relayHealth } from "../load/relay-health.js";
import { EchoStub } from "./echo-stub.js";

export interface LinkRate {
  calls: number;
  hubMessagesPerSecond: number;
  /** The busiest session's RPCs per second (messages that carried its frames). */
  sessionRpcPerSecond: number;
  framesPerMessage: number;
  upKbitPerCall: number;
  downKbitPerCall: number;
  framesLost: number;
}

export async function linkRate(calls: number, seconds: number): Promise<LinkRate> {
  const token = randomBytes(24).toString("hex");
  const stub = await EchoStub.start(token);
  const relay = await startRelayProcess({ cloudUrl: stub.baseUrl, relayToken: token, env: { PLAYBACK_MODE: "file", CALL_SOCKET_WAIT_MS: "0", ESL_PORT: "1" } });
  const load = new CallLoad({ port: relay.audioPort, calls, secretaryId: randomUUID(), audio: speech16k(4), connectBatch: 100 });
  try {
    await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
    await load.connect();
    load.start();
    await new Promise((r) => setTimeout(r, 2000));
    load.resetStats();
    stub.resetCounters();
    const h0 = await relayHealth(relay);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const wall = (performance.now() - t0) / 1000;
    const h1 = await relayHealth(relay);
    const perSlot = [...stub.messagesPerSlot.values()];
    const { messagesIn, framesIn } = stub.counters;
    load.stop();
    await load.drain(1000, 10_000);
    const s = load.stats();
    const d = healthDelta(h0, h1);
    return {
      calls,
      hubMessagesPerSecond: messagesIn / wall,
      sessionRpcPerSecond: Math.max(0, ...perSlot) / wall,
      framesPerMessage: messagesIn > 0 ? framesIn / messagesIn : 0,
      upKbitPerCall: (d.bytesSent * 8) / 1000 / wall / calls,
      downKbitPerCall: (d.bytesReceived * 8) / 1000 / wall / calls,
      framesLost: Math.max(0, s.framesSent - s.framesEchoed),
    };
  } finally {
    await load.close();
    await relay.stop();
    await stub.close();
  }
}
