/**
 * A 10 s link loss, longer than the grace period: the relay must not leave
 * the caller in silence. Within LINK_GRACE_MS + 1 s of the cut, the call is
 * transferred to FALLBACK_EXTENSION at the FreeSWITCH simulator; when the
 * link comes back the call is not resumed, and the cloud hears that it ended.
 * The relay process, the simulator and the cloud stub are real servers; the
 * link goes through a proxy that is cut and refuses for 10 s.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { waitFor } from "../../relay/testing/wait.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { speech16k } from "../stack/fixtures.js";
import { connectSimulator, startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const GRACE_MS = 2000;
let stub: CloudStub;
let proxy: TcpProxy;
let sim: FreeSwitchSim;
let relay: RelayProcess;

beforeAll(async () => {
  stub = await CloudStub.start({ echo: true });
  proxy = await startTcpProxy(Number(new URL(stub.baseUrl).port));
  sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  relay = await startRelayProcess({
    cloudUrl: `http://127.0.0.1:${proxy.port}`,
    relayToken: TEST_TOKEN,
    env: { ESL_PORT: String(sim.eslPort), LINK_GRACE_MS: String(GRACE_MS), FALLBACK_EXTENSION: "200", LINK_BACKOFF_MIN_MS: "100", LINK_BACKOFF_MAX_MS: "500" },
  });
  await connectSimulator(sim, relay);
  await stub.connection(0, 15_000);
});

afterAll(async () => {
  await relay?.stop();
  await sim?.close();
  await proxy?.close();
  await stub?.close();
});

it("transfers the caller to the fallback extension within the grace period + 1 s of a 10 s cut, and does not resume the call", async () => {
  const call = sim.call({ callId: randomUUID() });
  await call.connectSocket();
  await call.module.start();
  const conn = await stub.connection(0);
  const streaming = call.module.stream(speech16k(4));
  await waitFor(() => conn.frames().length > 25, { timeoutMs: 10_000, what: "the call's audio on the link" });
  const mark = relay.lines.length;
  const cutAt = performance.now();
  proxy.cut(10_000);
  await waitFor(() => sim.apisNamed("uuid_transfer").some((a) => a.line.includes(call.callId)), { timeoutMs: GRACE_MS + 5000, what: "the fallback transfer" });
  const transfer = sim.apisNamed("uuid_transfer").find((a) => a.line.includes(call.callId));
  const afterMs = (transfer?.at ?? Infinity) - cutAt;
  process.stdout.write(`10 s cut: fallback transfer ${afterMs.toFixed(0)} ms after the cut (grace ${GRACE_MS} ms)\n`);
  expect(afterMs).toBeLessThanOrEqual(GRACE_MS + 1000);
  expect(afterMs).toBeGreaterThanOrEqual(GRACE_MS - 50);
  expect(call.transferred?.destination).toBe("200");
  expect(sim.apisNamed("uuid_kill")).toHaveLength(0);
  await streaming.catch(() => undefined);

  // The link returns after the 10 s: the call is over for the relay, and the cloud is told so.
  await relay.waitFor((l) => l.msg === "link up", 20_000, mark);
  const next = await stub.connection(1, 5000);
  await waitFor(() => next.controls("call.end").some((e) => e.callId === call.callId), { timeoutMs: 5000, what: "the call's end on the new link" });
  expect(next.controls("call.resume").some((r) => r.callId === call.callId)).toBe(false);
  call.hangup();
});
