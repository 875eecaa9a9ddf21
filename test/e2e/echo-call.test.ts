/**
 * End to end on loopback, every part real: the Worker and its Durable
 * Objects in workerd, the relay as a Node process, and simulated
 * mod_audio_stream calls feeding it speech. The diagnostic echo secretary
 * plays each caller's audio back; what comes back must be the same bytes in
 * the same order.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { speech16k } from "../stack/fixtures.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

const token = randomBytes(24).toString("hex");
const secretaryId = randomUUID();
let cloud: LocalCloud;
let proxy: TcpProxy;
let relay: RelayProcess;

beforeAll(async () => {
  cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0 });
  // The relay reaches the cloud through a proxy so the link can be cut.
  proxy = await startTcpProxy(Number(cloud.url.port));
  relay = await startRelayProcess({
    cloudUrl: `ws://127.0.0.1:${proxy.port}`,
    relayToken: token,
    env: { LINK_BACKOFF_MIN_MS: "100", LINK_BACKOFF_MAX_MS: "500" },
  });
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
});

afterAll(async () => {
  await relay?.stop();
  await proxy?.close();
  await cloud?.stop();
});

function newCall(): SimulatedAudioStream {
  return new SimulatedAudioStream({ port: relay.audioPort, secretaryId, callId: randomUUID(), callerNumber: "+55 11 99999-0000" });
}

describe("a call's audio crosses relay -> link -> Durable Objects and back", () => {
  it("echoes 5 s of 16 kHz speech on 3 concurrent calls byte-exact and in order", async () => {
    const audio = speech16k(5);
    const calls = [newCall(), newCall(), newCall()];
    await Promise.all(calls.map((c) => c.connect()));
    await Promise.all(calls.map((c) => c.stream(audio)));
    await Promise.all(calls.map((c) => c.waitForBytes(audio.byteLength, 15_000)));
    for (const call of calls) {
      const back = call.receivedAudio();
      expect(back.byteLength).toBe(audio.byteLength);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(audio))).toBe(0);
    }
    await Promise.all(calls.map((c) => c.close()));
  });

  it("keeps a call alive across a 2 s link cut: the relay reconnects and the call resumes", async () => {
    const audio = speech16k(6);
    const call = newCall();
    await call.connect();
    const logMark = relay.lines.length;
    const streaming = call.stream(audio);
    await call.waitForBytes(32_000, 10_000); // a second of echo before the cut
    proxy.cut(2000);
    await relay.waitFor((l) => l.msg === "link up", 20_000, logMark);
    await streaming;
    // Audio queued while the link was down is sent after the resume; allow
    // for what was in flight in the socket that was cut.
    await call.waitForBytes(audio.byteLength - 64_000, 15_000);
    await call.waitForQuiet(500, 10_000);
    const back = Buffer.from(call.receivedAudio());
    // The end of the call, streamed after the reconnect, echoes byte-exact.
    const tail = Buffer.from(audio.subarray(audio.byteLength - 32_000));
    expect(back.subarray(back.byteLength - tail.byteLength).equals(tail)).toBe(true);
    expect(call.closeCode).toBeUndefined(); // the relay never hung the call up
    const health = await relay.health();
    expect((health.link as { reconnects: number }).reconnects).toBeGreaterThanOrEqual(1);
    await call.close();
  });
});
