/**
 * Across every part: the real Worker and its Durable Objects in workerd, the
 * relay in-process, and the FreeSWITCH simulator. A call reaches the cloud's
 * diagnostic echo by both its halves (socket first, and stream first), and
 * the caller's speech comes back as files FreeSWITCH plays in order.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayConfig } from "../../relay/config.js";
import { runDoctor } from "../../relay/cli/doctor.js";
import { startRelay, type Relay } from "../../relay/relay.js";
import { testFsConfig } from "../../relay/testing/fs-config.js";
import { FAST } from "../../relay/testing/link-harness.js";
import { captureLog, waitFor } from "../../relay/testing/wait.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { speech16k } from "../stack/fixtures.js";

const token = randomBytes(24).toString("hex");
let cloud: LocalCloud;
let relay: Relay;
let sim: FreeSwitchSim;
let doctorReport: { code: number; lines: string[] };

beforeAll(async () => {
  cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0 });
  sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  // Before the relay starts: doctor opens its own link with the relay's token.
  const lines: string[] = [];
  const env = { CLOUD_URL: cloud.url.origin, RELAY_TOKEN: token, ESL_PORT: String(sim.eslPort), AUDIO_WS_PORT: "0", OUTBOUND_ESL_PORT: "0", HEALTH_PORT: "1" };
  doctorReport = { code: await runDoctor(env, (l) => lines.push(l)), lines };
  const config: RelayConfig = {
    linkUrl: new URL("/v1/relay/connect", cloud.url).href.replace(/^http/, "ws"),
    linkInsecure: false,
    relayToken: token,
    audio: { host: "127.0.0.1", port: 0 },
    health: { host: "127.0.0.1", port: 0 },
    logLevel: "info",
    link: { ...FAST, deadAfterMs: 2000, heartbeatMs: 500, handshakeTimeoutMs: 5000 },
    freeswitch: testFsConfig({ esl: { host: "127.0.0.1", port: sim.eslPort, password: "ClueCon" }, socketWaitMs: 1000 }),
  };
  relay = await startRelay(config, captureLog("warn").log);
  sim.options.relayAudioPort = relay.addresses.audio.port;
  sim.options.relayOutboundPort = relay.addresses.outbound.port;
  await waitFor(() => relay.link.isUp && relay.inbound.isUp, { timeoutMs: 20_000, what: "the relay up on the local cloud" });
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await sim?.close();
  await cloud?.stop();
});

describe("relay + workerd cloud + FreeSWITCH simulator", () => {
  it("relay doctor passes against the real cloud, with the echo round trip measured", () => {
    const text = doctorReport.lines.join("\n");
    expect(text).toMatch(/ok {4}cloud link: connected/);
    expect(text).toMatch(/ok {4}echo round trip: 50 frames of 20 ms out, 50 back/);
    // Cloudflare's edge dates every response; local workerd does not, and doctor then says so.
    expect(text).toMatch(/(ok {4}clock: within|skip {2}clock: the cloud sent no Date header)/);
    expect(doctorReport.code).toBe(0);
    process.stdout.write(`doctor against workerd: ${doctorReport.lines.find((l) => l.includes("echo round trip"))?.trim()}\n`);
  });

  it.each(["socket first", "stream first"])("%s: 2 s of speech comes back as files played in order, byte for byte", async (order) => {
    const speech = speech16k(2);
    const call = sim.call();
    if (order === "socket first") {
      await call.connectSocket();
      await call.module.start();
    } else {
      await call.module.start();
      await call.connectSocket();
    }
    await call.module.stream(speech);
    const played = () => call.played.reduce((n, p) => n + p.bytes.byteLength, 0);
    await waitFor(() => played() >= speech.byteLength, { timeoutMs: 15_000, what: "the echo played back" });
    expect(Buffer.concat(call.played.map((p) => p.bytes)).equals(Buffer.from(speech))).toBe(true);
    expect(call.played.some((p) => p.interrupted)).toBe(false);
    call.hangup();
    await waitFor(() => !call.socketOpen && relay.calls.size === 0, { timeoutMs: 5000 });
  });
});
