/**
 * Barge-in, the relay's part: the cloud's `playback.clear` for a call leaves
 * the cloud stub -> the relay process -> `uuid_break <uuid> all` arrives at
 * the FreeSWITCH simulator's inbound event socket. Both ends are in this
 * process, on one clock. The provider's speech-start -> playback.clear leg
 * is the CallSession's and is measured separately once providers drive it.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { waitFor } from "../../relay/testing/wait.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { connectSimulator, startRelayProcess } from "../stack/relay-process.js";
import { pct } from "../load/call-load.js";

export interface BargeInResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

export async function relayBargeIn(samples: number): Promise<BargeInResult> {
  const stub = await CloudStub.start({ echo: false });
  const sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  const relay = await startRelayProcess({ cloudUrl: stub.baseUrl, relayToken: TEST_TOKEN, env: { ESL_PORT: String(sim.eslPort) } });
  try {
    await connectSimulator(sim, relay);
    await relay.waitFor((l) => l.msg === "link up", 10_000, 0);
    const conn = await stub.connection(0);
    const call = sim.call({ callId: randomUUID() });
    await call.connectSocket();
    await call.module.start();
    await waitFor(() => conn.controls("call.start").some((c) => c.callId === call.callId), { timeoutMs: 10_000, what: "call.start" });
    const delays: number[] = [];
    for (let i = 0; i < samples; i++) {
      const before = sim.apisNamed("uuid_break").length;
      const sent = performance.now();
      conn.sendControl({ type: "playback.clear", callId: call.callId, reason: "bench" });
      await waitFor(() => sim.apisNamed("uuid_break").length > before, { timeoutMs: 5000, what: "uuid_break" });
      delays.push((sim.apisNamed("uuid_break")[before]?.at ?? NaN) - sent);
      await new Promise((r) => setTimeout(r, 20));
    }
    call.hangup();
    return { samples: delays.length, p50Ms: pct(delays, 50), p99Ms: pct(delays, 99) };
  } finally {
    await relay.stop();
    await sim.close();
    await stub.close();
  }
}
