/**
 * The inbound event socket drops while a transfer is in flight: FreeSWITCH
 * took the `uuid_transfer` but its reply never comes (the simulator holds
 * replies, then cuts the socket). The relay process must answer the cloud's
 * command with a failure instead of hanging, reconnect the event socket,
 * and carry out the cloud's retry; the call ends on the link once
 * transferred.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { waitFor } from "../../relay/testing/wait.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { connectSimulator, startRelayProcess, type RelayProcess } from "../stack/relay-process.js";

let stub: CloudStub;
let sim: FreeSwitchSim;
let relay: RelayProcess;

beforeAll(async () => {
  stub = await CloudStub.start({ echo: false });
  sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  relay = await startRelayProcess({ cloudUrl: stub.baseUrl, relayToken: TEST_TOKEN, env: { ESL_PORT: String(sim.eslPort), LINK_BACKOFF_MIN_MS: "50", LINK_BACKOFF_MAX_MS: "200" } });
  await connectSimulator(sim, relay);
  await stub.connection(0, 15_000);
});

afterAll(async () => {
  await relay?.stop();
  await sim?.close();
  await stub?.close();
});

it("fails the transfer in flight when the event socket drops, reconnects, and carries out the retry", async () => {
  const conn = await stub.connection(0);
  const call = sim.call();
  await call.connectSocket();
  await call.module.start();
  await waitFor(() => conn.controls("call.start").some((s) => s.callId === call.callId), { timeoutMs: 10_000, what: "call.start" });

  sim.holdReplies = true;
  conn.sendControl({ type: "command", id: "transfer-1", callId: call.callId, name: "transfer", args: { destination: "200" } });
  await waitFor(() => sim.apisNamed("uuid_transfer").length === 1, { timeoutMs: 5000, what: "uuid_transfer at FreeSWITCH" });
  const inboundBefore = new Set(sim.inboundSockets);
  sim.dropInbound();
  sim.holdReplies = false;

  await waitFor(() => conn.controls("command.result").some((r) => r.id === "transfer-1"), { timeoutMs: 6000, what: "the first transfer's result" });
  const first = conn.controls("command.result").find((r) => r.id === "transfer-1");
  expect(first?.ok).toBe(false);
  expect(first?.error?.code).toMatch(/^ESL_/);
  await waitFor(() => [...sim.inboundSockets].some((s) => !inboundBefore.has(s)), { timeoutMs: 10_000, what: "the event socket to reconnect" });

  conn.sendControl({ type: "command", id: "transfer-2", callId: call.callId, name: "transfer", args: { destination: "200" } });
  await waitFor(() => conn.controls("command.result").some((r) => r.id === "transfer-2"), { timeoutMs: 6000, what: "the retry's result" });
  expect(conn.controls("command.result").find((r) => r.id === "transfer-2")?.ok).toBe(true);
  expect(call.transferred?.destination).toBe("200");
  await waitFor(() => conn.controls("call.end").some((e) => e.callId === call.callId), { timeoutMs: 5000, what: "the call to end on the link" });
  expect(call.hungUp).toBeUndefined();
  call.hangup();
});
