/**
 * The relay in-process, against the FreeSWITCH simulator and the cloud stub,
 * all on loopback with ports chosen by the OS. Each test gets fresh ones and
 * everything is torn down after it.
 */
import type { RelayConfig, FreeswitchConfig } from "../../relay/config.js";
import { startRelay, type Relay } from "../../relay/relay.js";
import { CloudStub, TEST_TOKEN, type CloudStubOptions, type StubConnection } from "../../relay/testing/cloud-stub.js";
import { testFsConfig } from "../../relay/testing/fs-config.js";
import { FAST } from "../../relay/testing/link-harness.js";
import { captureLog, waitFor } from "../../relay/testing/wait.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import type { SimCall } from "../sim/freeswitch/sim-call.js";

export interface Rig {
  relay: Relay;
  sim: FreeSwitchSim;
  stub: CloudStub;
  conn: StubConnection;
  logs: ReturnType<typeof captureLog>;
}

const open: (() => Promise<void>)[] = [];

/** Starts stub, simulator and relay; waits for the link and the inbound socket to be up. */
export async function rig(fs: Partial<FreeswitchConfig> = {}, stubOptions: Partial<CloudStubOptions> = { echo: true }): Promise<Rig> {
  const stub = await CloudStub.start(stubOptions);
  const sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  const logs = captureLog("debug");
  const config: RelayConfig = {
    linkUrl: stub.linkUrl,
    linkInsecure: false,
    relayToken: TEST_TOKEN,
    audio: { host: "127.0.0.1", port: 0 },
    health: { host: "127.0.0.1", port: 0 },
    logLevel: "debug",
    link: FAST,
    freeswitch: testFsConfig({ esl: { host: "127.0.0.1", port: sim.eslPort, password: "ClueCon" }, socketWaitMs: 400, streamWaitMs: 400, linkGraceMs: 300, ...fs }),
  };
  const relay = await startRelay(config, logs.log);
  sim.options.relayAudioPort = relay.addresses.audio.port;
  sim.options.relayOutboundPort = relay.addresses.outbound.port;
  open.push(async () => {
    await relay.stop();
    await sim.close();
    await stub.close();
  });
  await waitFor(() => relay.link.isUp && relay.inbound.isUp, { what: "link and inbound event socket up" });
  const conn = await stub.connection(0);
  return { relay, sim, stub, conn, logs };
}

/** A call through the simulator (event socket, then stream), once the cloud stub has its call.start. */
export async function liveCall(r: Rig): Promise<SimCall> {
  const call = r.sim.call();
  await call.connectSocket();
  await call.module.start();
  await waitFor(() => r.conn.controls("call.start").some((s) => s.callId === call.callId), { what: "call.start" });
  return call;
}

/** The link slot the relay gave `call`. */
export function slotOf(r: Rig, call: SimCall): number {
  return r.conn.controls("call.start").find((s) => s.callId === call.callId)?.slot ?? -1;
}

/** Stops everything the tests started. */
export async function teardown(): Promise<void> {
  await Promise.all(open.splice(0).map((stop) => stop()));
}

/** 16 kHz PCM whose bytes count up (so order and loss are visible). */
export function ramp(bytes: number, from = 0): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (from + i * 7) & 0xff);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
