/**
 * A starved relay: its uplink to the cloud takes far less than the calls
 * send (a throttling proxy, bytes delayed, never dropped). The relay must
 * keep its memory bounded by dropping the oldest audio of each call, never
 * a control message: calls that end or start meanwhile are announced once
 * the link drains, and the newest audio is what gets through.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { waitFor } from "../../relay/testing/wait.js";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { CallLoad } from "../load/call-load.js";
import { rssBytes } from "../load/proc.js";
import { relayHealth } from "../load/relay-health.js";
import { startThrottleProxy, type ThrottleProxy } from "./throttle-proxy.js";

const CALLS = 40;
const MAX_QUEUED_AUDIO_MS = 500;
let stub: CloudStub;
let proxy: ThrottleProxy;
let relay: RelayProcess;

beforeAll(async () => {
  stub = await CloudStub.start({ echo: false });
  proxy = await startThrottleProxy(Number(new URL(stub.baseUrl).port));
  relay = await startRelayProcess({
    cloudUrl: `http://127.0.0.1:${proxy.port}`,
    relayToken: TEST_TOKEN,
    env: {
      CALL_SOCKET_WAIT_MS: "0",
      LINK_MAX_QUEUED_AUDIO_MS: String(MAX_QUEUED_AUDIO_MS),
      LINK_MAX_BUFFERED_BYTES: "65536",
      LINK_DEAD_AFTER_MS: "9999",
      LINK_GRACE_MS: "30000",
      ESL_PORT: "1",
    },
  });
  await stub.connection(0, 15_000);
});

afterAll(async () => {
  await relay?.stop();
  await proxy?.close();
  await stub?.close();
});

it("drops the oldest audio of each call, never a control message, and keeps its memory bounded", async () => {
  const conn = await stub.connection(0);
  const load = new CallLoad({ port: relay.audioPort, calls: CALLS, secretaryId: randomUUID() });
  await load.connect();
  load.start();
  await waitFor(() => conn.controls("call.start").length >= CALLS && conn.frames().length > CALLS * 10, { timeoutMs: 10_000, what: "every call streaming" });
  const rssBefore = rssBytes(relay.child.pid as number);
  const h0 = await relayHealth(relay);

  // 40 calls send ~1.3 MB/s; let 64 KB/s through for 6 s.
  proxy.setRate(64 * 1024);
  await new Promise((r) => setTimeout(r, 1500));
  const ended = load.calls.slice(0, 2);
  for (const c of ended) {
    c.closed = true;
    c.ws?.close(1000);
  }
  const fresh = [randomUUID(), randomUUID()].map((callId) => ({ callId, call: new SimulatedAudioStream({ port: relay.audioPort, secretaryId: randomUUID(), callId, callerNumber: "5511999990000" }) }));
  await Promise.all(fresh.map((f) => f.call.connect()));
  const freshStreams = fresh.map((f) => f.call.stream(new Uint8Array(640 * 100)));
  let maxQueued = 0;
  let maxRss = 0;
  for (let i = 0; i < 9; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const h = await relayHealth(relay);
    maxQueued = Math.max(maxQueued, h.queue.audioFrames);
    maxRss = Math.max(maxRss, rssBytes(relay.child.pid as number));
  }
  const starved = await relayHealth(relay);
  proxy.setRate(Infinity);

  // Control is never dropped: the two ends and the two starts arrive once the link drains.
  await waitFor(
    () => ended.every((c) => conn.controls("call.end").some((e) => e.callId === c.callId)) && fresh.every((f) => conn.controls("call.start").some((s) => s.callId === f.callId)),
    { timeoutMs: 20_000, what: "the call.end and call.start sent while starved" },
  );
  await Promise.all(freshStreams);
  load.stop();
  const dropped = starved.queue.droppedAudioFrames - h0.queue.droppedAudioFrames;
  process.stdout.write(
    `starved: ${dropped} frames dropped oldest-first, queue peak ${maxQueued} frames (bound ${CALLS + 2} calls x ${MAX_QUEUED_AUDIO_MS / 20}), RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> peak ${(maxRss / 2 ** 20).toFixed(0)} MB, backpressure waits ${starved.counters.link.backpressureWaits - h0.counters.link.backpressureWaits}\n`,
  );
  expect(dropped).toBeGreaterThan(0);
  expect(maxQueued).toBeLessThanOrEqual((CALLS + 2) * (MAX_QUEUED_AUDIO_MS / 20 + 1));
  expect(maxRss - rssBefore).toBeLessThan(64 * 2 ** 20);
  expect(starved.link.reconnects).toBe(h0.link.reconnects);

  // Oldest first: once the link drains, a live call's newest frames arrive, with a gap in seq before them.
  const slot = conn.controls("call.start").find((s) => s.callId === load.calls[5]?.callId)?.slot as number;
  await waitFor(() => (conn.frames(slot).at(-1)?.seq ?? 0) >= load.secondsStreamed * 50 - 60, { timeoutMs: 10_000, what: "the newest audio" });
  const seqs = conn.frames(slot).map((f) => f.seq);
  const gaps = seqs.slice(1).filter((s, i) => s !== (seqs[i] as number) + 1).length;
  expect(gaps).toBeGreaterThan(0);
  await load.close();
  await Promise.all(fresh.map((f) => f.call.close()));
});
