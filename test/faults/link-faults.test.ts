/**
 * What breaks between the relay and the cloud, with every part real: the
 * Worker in workerd (on a fixed port, so it can be restarted in place), the
 * relay process behind a TCP proxy, and simulated calls streaming speech.
 *
 * test/e2e/echo-call.test.ts covers one call across a 2 s cut; here twenty
 * calls cross it, then the Worker restarts under live calls, then the relay
 * itself crashes and a new one takes over.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { speech16k } from "../stack/fixtures.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { CallLoad } from "../load/call-load.js";
import { relayHealth } from "../load/relay-health.js";

const token = randomBytes(24).toString("hex");
let port: number;
let cloud: LocalCloud;
let proxy: TcpProxy;
let relay: RelayProcess;

const relayEnv = { CALL_SOCKET_WAIT_MS: "0", PLAYBACK_MODE: "stream", LINK_BACKOFF_MIN_MS: "100", LINK_BACKOFF_MAX_MS: "400", LINK_GRACE_MS: "30000", ESL_PORT: "1" };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port: p } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return p;
}

beforeAll(async () => {
  port = await freePort();
  cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0, port, relayId: "fault-link" });
  proxy = await startTcpProxy(port);
  relay = await startRelayProcess({ cloudUrl: `ws://127.0.0.1:${proxy.port}`, relayToken: token, env: relayEnv });
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
});

afterAll(async () => {
  await relay?.stop();
  await proxy?.close();
  await cloud?.stop();
});

/** Echoed frames per call so far. */
const echoedPerCall = (load: CallLoad) => load.calls.map((c) => c.echoed);

describe("link faults", () => {
  it("keeps 20 calls alive across a 2 s cut: every one resumes and its echo continues", async () => {
    const load = new CallLoad({ port: relay.audioPort, calls: 20, secretaryId: randomUUID(), audio: speech16k(6) });
    await load.connect();
    load.start();
    await waitFor(() => load.calls.every((c) => c.echoed > 25), { timeoutMs: 10_000, what: "half a second of echo on every call" });
    const mark = relay.lines.length;
    proxy.cut(2000);
    const cutAt = performance.now();
    await relay.waitFor((l) => l.msg === "link up", 20_000, mark);
    const downMs = performance.now() - cutAt;
    const atReconnect = echoedPerCall(load);
    await waitFor(() => load.calls.every((c, i) => c.echoed > (atReconnect[i] ?? 0) + 50), { timeoutMs: 10_000, what: "a second of echo on every call after the reconnect" });
    load.stop();
    await load.drain(1000, 10_000);
    const s = load.stats();
    process.stdout.write(`2 s cut: link back after ${downMs.toFixed(0)} ms; ${s.framesSent - s.framesEchoed} of ${s.framesSent} frames lost (in flight when cut)\n`);
    expect(s.closedByRelay).toBe(0);
    // Audio sent while the link was down waits in the relay (2 s per call) and goes after the resume.
    expect(s.framesEchoed / s.framesSent).toBeGreaterThan(0.9);
    const health = await relayHealth(relay);
    expect(health.link.reconnects).toBeGreaterThanOrEqual(1);
    await load.close();
  });

  it("survives a Worker restart mid-call: the relay reconnects, the calls resume on fresh sessions, the echo goes on", async () => {
    const load = new CallLoad({ port: relay.audioPort, calls: 5, secretaryId: randomUUID(), audio: speech16k(6) });
    await load.connect();
    load.start();
    await waitFor(() => load.calls.every((c) => c.echoed > 25), { timeoutMs: 10_000, what: "echo on every call" });
    const mark = relay.lines.length;
    await cloud.stop();
    cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0, port, relayId: "fault-link" });
    await relay.waitFor((l) => l.msg === "link up", 30_000, mark);
    const atReconnect = echoedPerCall(load);
    await waitFor(() => load.calls.every((c, i) => c.echoed > (atReconnect[i] ?? 0) + 50), { timeoutMs: 15_000, what: "echo on every call after the restart" });
    const resumed = relay.lines.slice(mark).find((l) => l.msg === "link up");
    expect(resumed?.resumedCalls).toBe(5);
    expect(load.stats().closedByRelay).toBe(0);
    await load.close();
  });

  it("after a relay crash, a new relay process takes over the link and its calls work (the old call's slot is reused)", async () => {
    const old = new SimulatedAudioStream({ port: relay.audioPort, secretaryId: randomUUID(), callId: randomUUID(), callerNumber: "5511999990001" });
    await old.connect();
    const streaming = old.stream(speech16k(2));
    await old.waitForBytes(640 * 10, 10_000);
    relay.child.kill("SIGKILL");
    await streaming;
    expect(old.closeCode).toBeDefined(); // the module's socket died with the relay
    relay = await startRelayProcess({ cloudUrl: `ws://127.0.0.1:${proxy.port}`, relayToken: token, env: relayEnv });
    await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
    // The new relay's first call takes slot 0, which the crashed relay's call still holds in the hub.
    const audio = speech16k(2);
    const fresh = new SimulatedAudioStream({ port: relay.audioPort, secretaryId: randomUUID(), callId: randomUUID(), callerNumber: "5511999990002" });
    await fresh.connect();
    await fresh.stream(audio);
    await fresh.waitForBytes(audio.byteLength, 15_000);
    expect(Buffer.compare(Buffer.from(fresh.receivedAudio()), Buffer.from(audio))).toBe(0);
    await fresh.close();
  });
});
