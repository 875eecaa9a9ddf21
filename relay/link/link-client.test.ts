/**
 * The link client against a real ws server playing the cloud (CloudStub):
 * handshake, bundling, heartbeats, half-open detection, 4401, handshake
 * timeout, stop. Calls across reconnects are in link-client-calls.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../../shared/link/index.js";
import { TEST_TOKEN } from "../testing/cloud-stub.js";
import { FAST, LinkHarness, callInfo, open, pcm } from "../testing/link-harness.js";
import { captureLog, waitFor } from "../testing/wait.js";
import { LinkClient, RELAY_CAPABILITIES } from "./link-client.js";

const h = new LinkHarness();
afterEach(() => h.cleanup());

describe("LinkClient handshake", () => {
  it("authenticates with the bearer token, says hello and comes up on welcome", async () => {
    const stub = await h.stub();
    const { link, logs } = h.client(stub);
    const ups: string[] = [];
    link.on("up", ({ relayId }) => ups.push(relayId));
    expect(link.state).toBe("idle");
    link.start();
    const conn = await stub.connection(0);
    expect(conn.authorization).toBe(`Bearer ${TEST_TOKEN}`);
    expect(conn.items[0]).toEqual({
      kind: "control",
      message: { type: "hello", protocolVersion: PROTOCOL_VERSION, minProtocolVersion: MIN_PROTOCOL_VERSION, software: expect.stringMatching(/^voice-relay\/\d+\.\d+\.\d+/), capabilities: [...RELAY_CAPABILITIES] },
    });
    await waitFor(() => link.isUp);
    expect(ups).toEqual(["relay-test"]);
    expect(link.state).toBe("up");
    const up = logs.lines.find((l) => l.msg === "link up");
    expect(up).toMatchObject({ level: "info", relayId: "relay-test", resumedCalls: 0, reconnects: 0 });
    expect(logs.raw.join("\n")).not.toContain(TEST_TOKEN);
    expect(link.snapshot()).toMatchObject({ state: "up", up: true, relayId: "relay-test", reconnects: 0, calls: 0 });
  });

  it("gives up on a handshake without welcome and tries again", async () => {
    const stub = await h.stub({ welcome: false });
    const { link } = h.client(stub, { handshakeTimeoutMs: 80 });
    link.start();
    const first = await stub.connection(0);
    await stub.connection(1, 1000);
    expect((await first.closed()).code).toBe(1006); // terminated, not closed politely
    expect(link.counters.handshakeTimeouts).toBeGreaterThanOrEqual(1);
    expect(link.snapshot().lastError?.code).toBe("LINK_HANDSHAKE_TIMEOUT");
    stub.options.welcome = true;
    await waitFor(() => link.isUp, { timeoutMs: 1000, what: "a welcome once the cloud answers" });
  });

  it("on 4401 logs that the token was refused and keeps retrying within the backoff cap", async () => {
    const stub = await h.stub({ token: "another-token-that-the-cloud-expects-000" });
    // random() = 1: every delay is the cap, 5, 10, 20, 40, 40, ... ms.
    const { link, logs } = h.client(stub, {}, () => 1);
    link.start();
    const started = Date.now();
    await waitFor(() => stub.refused >= 6, { timeoutMs: 2000, what: "six refused attempts" });
    // 5+10+20+40+40 ms of backoff plus connection setup: far less than without the cap.
    expect(Date.now() - started).toBeLessThan(1500);
    expect(link.isUp).toBe(false);
    expect(link.snapshot().lastError?.code).toBe("LINK_UNAUTHORIZED");
    const refused = logs.lines.filter((l) => l.level === "error" && /refused the relay token/.test(String(l.msg)));
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]).toMatchObject({ code: 4401 });
    // An operator fixes the token in the cloud: the relay gets in without a restart.
    stub.options.token = TEST_TOKEN;
    await waitFor(() => link.isUp, { timeoutMs: 1000, what: "the link once the token is accepted" });
  });

  it("refuses a welcome with a protocol version it does not speak (4426) and retries", async () => {
    const stub = await h.stub({ protocolVersion: PROTOCOL_VERSION + 1 });
    const { link } = h.client(stub);
    link.start();
    const conn = await stub.connection(0);
    expect((await conn.closed()).code).toBe(4426);
    await stub.connection(1, 1000);
    expect(link.isUp).toBe(false);
  });
});

describe("LinkClient traffic", () => {
  it("bundles the frames of three calls into one message per tick", async () => {
    const { link, conn } = await h.up({}, { bundleMs: 50 });
    const calls = [1, 2, 3].map((n) => open(link, n));
    await waitFor(() => conn.controls("call.start").length === 3);
    const before = conn.messages.length;
    for (let i = 0; i < 5; i++) for (const [c, call] of calls.entries()) call.sendAudio(pcm(c * 16 + i));
    await waitFor(() => conn.frames().length === 15, { what: "15 frames" });
    const audioMessages = conn.messages.slice(before).filter((m) => m.some((i) => i.kind === "audio"));
    expect(audioMessages).toHaveLength(1);
    expect(new Set(conn.frames().map((f) => f.slot))).toEqual(new Set([0, 1, 2]));
    expect(conn.frames(1).map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(conn.frames(1).map((f) => f.timestampMs)).toEqual([0, 20, 40, 60, 80]);
    expect(conn.frames(2).map((f) => f.payload[0])).toEqual([32, 33, 34, 35, 36]);
  });

  it("sends a bundle early when it reaches the welcome's frame limit", async () => {
    const { link, conn } = await h.up({ limits: { maxFramesPerBundle: 4 } }, { bundleMs: 1000 });
    const calls = [1, 2, 3].map((n) => open(link, n));
    for (let i = 0; i < 4; i++) for (const call of calls) call.sendAudio(pcm(i));
    // The 1 s tick never fires in this wait: only early flushes can deliver.
    await waitFor(() => conn.frames().length === 12, { timeoutMs: 500, what: "12 frames without the tick" });
    const bundles = conn.messages.map((m) => m.filter((i) => i.kind === "audio").length).filter((n) => n > 0);
    expect(bundles).toEqual([4, 4, 4]);
  });

  it("sends call.start before the call's frames and call.end after them", async () => {
    const { link, conn } = await h.up();
    const call = open(link, 1);
    call.sendAudio(pcm(1));
    call.sendAudio(pcm(2));
    call.end("stream-closed");
    call.sendAudio(pcm(3)); // after the end: ignored
    await waitFor(() => conn.controls("call.end").length === 1);
    const order = conn.items.slice(1).map((i) => (i.kind === "control" ? i.message.type : i.kind));
    expect(order).toEqual(["call.start", "audio", "audio", "call.end"]);
    expect(conn.controls("call.end")[0]).toEqual({ type: "call.end", callId: call.callId, reason: "stream-closed" });
    expect(call.live).toBe(false);
  });

  /** A client with a message budget (the harness's options are the timings only). */
  async function budgeted(maxMessagesPerSecond: number, bundleMs = 1000) {
    const stub = await h.stub();
    const link = new LinkClient({ ...FAST, bundleMs, maxMessagesPerSecond, url: stub.linkUrl, token: TEST_TOKEN, log: captureLog("debug").log });
    link.start();
    await waitFor(() => link.isUp, { what: "the link to come up" });
    return { link, conn: await stub.connection(0) };
  }

  it("sends audio at once on an idle link, and then no faster than its message budget", async () => {
    // 2 messages a second: 500 ms between two messages.
    const { link, conn } = await budgeted(2);
    try {
      const call = open(link, 1);
      const started = performance.now();
      call.sendAudio(pcm(1));
      await waitFor(() => conn.frames().length === 1, { timeoutMs: 300, what: "the first frame without waiting for a window" });
      const before = conn.messages.length;
      for (let i = 2; i <= 4; i++) {
        call.sendAudio(pcm(i));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(conn.frames()).toHaveLength(1); // still within the 500 ms since the first message
      await waitFor(() => conn.frames().length === 4, { timeoutMs: 1500, what: "the three frames together" });
      expect(performance.now() - started).toBeGreaterThanOrEqual(490);
      expect(conn.messages.slice(before).filter((m) => m.some((i) => i.kind === "audio"))).toHaveLength(1);
    } finally {
      await link.stop();
    }
  });

  it("lets playback progress ride the next bundle, but sends a command result at once, in order", async () => {
    const { link, conn } = await budgeted(2);
    try {
      const call = open(link, 1);
      call.sendAudio(pcm(1));
      await waitFor(() => conn.frames().length === 1, { what: "the first frame" });
      call.send({ type: "playback.event", callId: call.callId, event: "started" });
      call.sendAudio(pcm(2));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(conn.controls("playback.event")).toHaveLength(0); // waits for the budget (500 ms)
      call.send({ type: "command.result", id: "c1", callId: call.callId, ok: true, result: {} });
      await waitFor(() => conn.controls("command.result").length === 1, { timeoutMs: 300, what: "the command result at once" });
      const order = conn.items.slice(1).map((i) => (i.kind === "control" ? i.message.type : i.kind));
      expect(order).toEqual(["call.start", "audio", "playback.event", "audio", "command.result"]);
    } finally {
      await link.stop();
    }
  });

  it("sends a barge-in's cleared event and a call.end at once", async () => {
    const { link, conn } = await budgeted(2);
    try {
      const call = open(link, 1);
      call.sendAudio(pcm(1));
      await waitFor(() => conn.frames().length === 1, { what: "the first frame" });
      call.send({ type: "playback.event", callId: call.callId, event: "cleared", playedMs: 40 });
      await waitFor(() => conn.controls("playback.event").length === 1, { timeoutMs: 300, what: "cleared at once" });
      call.end("stream-closed");
      await waitFor(() => conn.controls("call.end").length === 1, { timeoutMs: 300, what: "call.end at once" });
    } finally {
      await link.stop();
    }
  });

  it("splits frames larger than the cloud's frame limit", async () => {
    const { link, conn } = await h.up({ limits: { maxFramePayloadBytes: 500 } });
    open(link, 1).sendAudio(pcm(7, 1920));
    await waitFor(() => conn.frames().reduce((n, f) => n + f.payload.byteLength, 0) === 1920);
    expect(conn.frames().map((f) => f.payload.byteLength)).toEqual([500, 500, 500, 420]);
    expect(conn.frames().map((f) => f.timestampMs)).toEqual([0, 15, 31, 46]);
  });

  it("pings every heartbeat interval", async () => {
    const { conn } = await h.up({}, { heartbeatMs: 20, deadAfterMs: 500 });
    await waitFor(() => conn.pings >= 5, { timeoutMs: 1000, what: "five pings" });
  });

  it("notices a half-open socket within LINK_DEAD_AFTER_MS and reconnects", async () => {
    const { stub, link, conn } = await h.up();
    const downs: number[] = [];
    link.on("down", () => downs.push(Date.now()));
    const silentAt = Date.now();
    conn.answering = false; // the socket stays open; nothing comes back, not even pongs
    const second = await stub.connection(1, 2000);
    const elapsed = Date.now() - silentAt;
    // The last pong may have come up to a heartbeat before the silence began.
    expect(elapsed).toBeGreaterThanOrEqual(FAST.deadAfterMs - FAST.heartbeatMs - 10);
    // Dead-link deadline, the longest backoff, and room for a loaded machine.
    expect(elapsed).toBeLessThan(FAST.deadAfterMs + FAST.backoffMaxMs + 400);
    expect(downs).toHaveLength(1);
    expect((await conn.closed()).code).toBe(1006);
    expect(second.controls("hello")).toHaveLength(1);
    await waitFor(() => link.isUp);
    expect(link.snapshot()).toMatchObject({ reconnects: 1, counters: { deadLinks: 1 } });
  });

  it("stays up while the cloud answers (pongs count as liveness)", async () => {
    const { stub, link } = await h.up({}, { heartbeatMs: 20, deadAfterMs: 150 });
    await new Promise((resolve) => setTimeout(resolve, 450)); // three dead-link windows
    expect(stub.connections).toHaveLength(1);
    expect(link.counters.deadLinks).toBe(0);
  });

  it("stops with 1001 and does not reconnect", async () => {
    const { stub, link, conn } = await h.up();
    await link.stop();
    expect((await conn.closed()).code).toBe(1001);
    expect(link.state).toBe("stopped");
    expect(link.openCall(callInfo(1), { onAudio() {}, onControl() {}, onEnd() {} })).toEqual({ ok: false, reason: "stopping" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stub.connections).toHaveLength(1);
  });
});
