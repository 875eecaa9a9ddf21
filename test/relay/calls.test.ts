/**
 * The relay against the simulated FreeSWITCH over real sockets: a call's
 * event socket and audio stream paired in either order, audio to the cloud
 * echo and back as files played in order, events up the link, the fallback
 * when half a call never arrives, and no socket left behind.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import { demoCall } from "../sim/freeswitch/demo-call.js";
import { rig, ramp, sleep, teardown } from "./harness.js";

afterEach(teardown);

describe("a call, event socket and audio stream", () => {
  it("socket first: call.start carries the channel data (latin1 caller name decoded), audio echoes back as files played in order", async () => {
    const { sim, conn, relay } = await rig();
    const call = sim.call();
    await call.connectSocket();
    await waitFor(() => call.linger && call.customSubscriptions.size === 5, { what: "the relay's socket setup" });
    expect([...call.customSubscriptions]).toEqual(["mod_audio_stream::connect", "mod_audio_stream::disconnect", "mod_audio_stream::json", "mod_audio_stream::play", "mod_audio_stream::error"]);
    expect(call.commands.map((c) => c.line.split(" ")[0])).toEqual(["connect", "myevents", "event", "linger"]);
    expect(await call.module.start()).toBe(true);
    await waitFor(() => conn.controls("call.start").length === 1);
    expect(conn.controls("call.start")[0]).toMatchObject({
      callId: call.callId,
      secretaryId: "5e0c0a11-0000-4000-8000-00000000ec40",
      domainId: "d0d0d0d0-0000-4000-8000-000000000001",
      domainName: "pbx.example.com",
      caller: { number: "+5511999990000", name: "José Conceição" },
      destination: "8000",
      audio: { encoding: "L16", sampleRate: 16000 },
      variables: { timezone: "America/Sao_Paulo", default_language: "pt" },
    });
    const audio = ramp(32_000 * 2); // 2 s
    await call.module.stream(audio);
    await waitFor(() => Buffer.concat(call.played.map((p) => p.bytes)).byteLength >= audio.byteLength, { timeoutMs: 6000, what: "all audio played back" });
    expect(Buffer.concat(call.played.map((p) => p.bytes)).equals(Buffer.from(audio))).toBe(true);
    expect(call.played[0]?.bytes.byteLength).toBeLessThanOrEqual(3840 + 640);
    expect(call.commands.filter((c) => c.line === "sendmsg").every((c) => c.headers.get("event-lock") === "true")).toBe(true);
    expect(call.played.every((p, i) => i === 0 || (call.played[i - 1]?.endedAt ?? Infinity) <= p.startedAt)).toBe(true);
    await waitFor(() => conn.controls("playback.event").some((e) => e.event === "finished"), { timeoutMs: 4000 });
    expect(conn.controls("playback.event")[0]?.event).toBe("started");
    call.hangup("NORMAL_CLEARING");
    await waitFor(() => conn.controls("call.end").length === 1);
    expect(conn.controls("call.end")[0]).toMatchObject({ callId: call.callId, reason: "hangup", cause: "NORMAL_CLEARING" });
    // Linger: the relay closes the socket itself, FreeSWITCH never waits for it.
    await waitFor(() => call.socketClosedAt !== undefined, { what: "the relay to close the lingering socket" });
    await waitFor(() => relay.calls.size === 0 && relay.outbound.open === 0);
  });

  it("stream first: the call waits for its socket, then starts with the channel data; no audio is lost meanwhile", async () => {
    const { sim, conn } = await rig();
    const call = sim.call();
    await call.module.start();
    const streaming = call.module.stream(ramp(640 * 10));
    await sleep(100);
    expect(conn.controls("call.start")).toHaveLength(0);
    await call.connectSocket();
    await waitFor(() => conn.controls("call.start").length === 1);
    expect(conn.controls("call.start")[0]?.caller.name).toBe("José Conceição");
    await streaming;
    await waitFor(() => conn.frames().reduce((n, f) => n + f.payload.byteLength, 0) === 6400);
    expect(Buffer.concat(conn.frames().map((f) => f.payload)).equals(Buffer.from(ramp(6400)))).toBe(true);
  });

  it("the older URL /stream/<domain>/<call>: the secretary and caller come from the channel variables", async () => {
    const { sim, conn } = await rig();
    const call = sim.call({ callerNumber: "1001" }, { legacyPath: true });
    await call.module.start();
    await call.connectSocket();
    await waitFor(() => conn.controls("call.start").length === 1);
    expect(conn.controls("call.start")[0]).toMatchObject({ secretaryId: "5e0c0a11-0000-4000-8000-00000000ec40", domainId: "d0d0d0d0-0000-4000-8000-000000000001", caller: { number: "1001" } });
  });

  it("a 30 ms trunk: 640 bytes every 30 ms loses a third; STREAM_BUFFER_SIZE=60 gives 1920 bytes every 60 ms, all forwarded unchanged", async () => {
    const { sim, conn } = await rig();
    const call = sim.call();
    await call.connectSocket();
    await call.module.start();
    const audio = ramp(1920 * 5);
    await call.module.streamLikeTrunk(audio, 30, 60);
    await waitFor(() => conn.frames().length === 5);
    expect(conn.frames().map((f) => [f.payload.byteLength, f.timestampMs])).toEqual([0, 60, 120, 180, 240].map((t) => [1920, t]));
    expect(Buffer.concat(conn.frames().map((f) => f.payload)).equals(Buffer.from(audio))).toBe(true);
    const lossy = sim.call();
    await lossy.connectSocket();
    await lossy.module.start();
    await waitFor(() => conn.controls("call.start").length === 2);
    const slot = conn.controls("call.start")[1]?.slot;
    const sent = await lossy.module.streamLikeTrunk(audio, 30);
    await waitFor(() => conn.frames(slot).length === 10);
    expect(sent.byteLength).toBe((audio.byteLength * 2) / 3); // what the module itself drops
    expect(Buffer.concat(conn.frames(slot).map((f) => f.payload)).equals(Buffer.from(sent))).toBe(true);
  });

  it("no event socket: after the wait the call runs audio-only and says why", async () => {
    const { sim, conn, logs, relay } = await rig({ socketWaitMs: 150 });
    const call = sim.call();
    await call.module.start();
    await waitFor(() => conn.controls("call.start").length === 1);
    expect(conn.controls("call.start")[0]?.caller).toEqual({ number: "+5511999990000" });
    expect(logs.lines.some((l) => String(l.msg).startsWith("no event socket for this call"))).toBe(true);
    expect(relay.calls.counters.audioOnly).toBe(1);
  });

  it("no audio stream: after the wait the call falls back (hangup without FALLBACK_EXTENSION), with the reason logged", async () => {
    const { sim, logs, relay } = await rig({ streamWaitMs: 150 });
    const call = sim.call();
    await call.connectSocket();
    await waitFor(() => call.hungUp !== undefined, { what: "the fallback hangup" });
    expect(sim.apisNamed("uuid_kill").map((a) => a.line)).toEqual([`uuid_kill ${call.callId} NORMAL_TEMPORARY_FAILURE`]);
    expect(logs.lines.find((l) => l.msg === "call falls back")).toMatchObject({ reason: "no-audio-stream", action: "hangup" });
    await waitFor(() => relay.calls.size === 0 && relay.outbound.open === 0);
  });

  it("mod_audio_stream cannot connect (::error): the fallback transfer happens at once", async () => {
    const { sim, relay } = await rig({ streamWaitMs: 5000, fallbackExtension: "200" });
    sim.options.relayAudioPort = 1; // nothing listens there: connection refused
    const call = sim.call();
    await call.connectSocket();
    await waitFor(() => call.customSubscriptions.size === 5);
    expect(await call.module.start()).toBe(false);
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 1000 });
    expect(call.transferred).toEqual({ destination: "200", context: "pbx.example.com" });
    expect(relay.calls.counters.fallbacks).toBe(1);
  });

  it("the cloud rejects the call: the relay closes the stream and transfers the caller instead of leaving silence", async () => {
    const { sim, conn, logs } = await rig({ fallbackExtension: "200" });
    const call = sim.call();
    await call.connectSocket();
    await call.module.start();
    await waitFor(() => conn.controls("call.start").length === 1);
    conn.sendControl({ type: "call.end", callId: call.callId, reason: "rejected", code: "LINK_CALL_REJECTED" });
    await waitFor(() => call.transferred !== undefined && call.module.closeCode !== undefined);
    expect(call.module.closeCode).toBe(1000);
    expect(call.transferred).toEqual({ destination: "200", context: "pbx.example.com" });
    expect(logs.lines.find((l) => l.msg === "call falls back")).toMatchObject({ reason: "cloud-ended" });
    // The module does not reconnect, and a new start fails until the stream is stopped (shared/FREESWITCH.md).
    expect(await call.module.start()).toBe(false);
  });

  it("DTMF, playback events and the hangup cause go up the link", async () => {
    const { sim, conn } = await rig();
    const call = sim.call();
    await call.connectSocket();
    await call.module.start();
    await waitFor(() => conn.controls("call.start").length === 1);
    call.dtmf("5", 800);
    call.dtmf("#");
    await waitFor(() => conn.controls("dtmf").length === 2);
    expect(conn.controls("dtmf")).toEqual([
      { type: "dtmf", callId: call.callId, digit: "5", durationMs: 100 },
      { type: "dtmf", callId: call.callId, digit: "#", durationMs: 200 },
    ]);
    call.hangup("USER_BUSY");
    await waitFor(() => conn.controls("call.end").length === 1);
    expect(conn.controls("call.end")[0]).toMatchObject({ reason: "hangup", cause: "USER_BUSY" });
  });

  it("100 calls start and end with no socket, call or timer left behind", { timeout: 60_000 }, async () => {
    const { sim, conn, relay } = await rig();
    const handlesBefore = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().length;
    const calls = Array.from({ length: 100 }, () => sim.call());
    await Promise.all(calls.map(async (c, i) => (i % 2 === 0 ? (await c.connectSocket(), await c.module.start()) : (await c.module.start(), await c.connectSocket()))));
    await waitFor(() => conn.controls("call.start").length === 100, { timeoutMs: 20_000 });
    await Promise.all(calls.map((c) => c.module.stream(ramp(640 * 3))));
    for (const c of calls) c.hangup();
    await waitFor(() => conn.controls("call.end").length === 100, { timeoutMs: 20_000 });
    await waitFor(() => relay.calls.size === 0 && relay.outbound.open === 0 && relay.audio.snapshot().streams === 0, { timeoutMs: 20_000, what: "every call and socket gone" });
    await waitFor(() => calls.every((c) => c.socketClosedAt !== undefined));
    await sleep(50);
    const handlesAfter = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().length;
    expect(handlesAfter).toBeLessThanOrEqual(handlesBefore + 2);
  });
});

describe("the demo call", () => {
  it("plays the caller's speech back through the echo, byte for byte, and the relay closes the socket", async () => {
    const { sim } = await rig();
    const report = await demoCall(sim, ramp(32_000));
    expect(report).toMatchObject({ identical: true, socketClosed: true, sentBytes: 32_000 });
    // Sanity only (the greeting figure is a benchmark): audio starts without waiting for the whole utterance.
    expect(report.firstPlaybackMs).toBeLessThan(2000);
  });
});
