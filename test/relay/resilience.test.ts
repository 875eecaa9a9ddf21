/**
 * What may go wrong around a call: the cloud link lost (grace, then the
 * fallback), the inbound event socket dropped or hanging (reconnect; pending
 * commands failed, not forgotten; the outbound socket as the second way),
 * and garbage on the event sockets (that socket closed, the relay and the
 * other calls untouched).
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EslError } from "../../relay/esl/connection.js";
import { InboundEsl } from "../../relay/esl/inbound-client.js";
import { captureLog, waitFor } from "../../relay/testing/wait.js";
import { liveCall, rig, sleep, teardown, type Rig } from "./harness.js";

afterEach(teardown);

/** Cuts the link and keeps it down: the stub stops welcoming. */
function cutLink(r: Rig): number {
  r.stub.options.welcome = false;
  r.conn.ws.terminate();
  return performance.now();
}

describe("link loss", () => {
  it("past the grace period each call is transferred to FALLBACK_EXTENSION in its context, reason logged", async () => {
    const r = await rig({ linkGraceMs: 300, fallbackExtension: "200" });
    const a = await liveCall(r);
    const b = await liveCall(r);
    const cutAt = cutLink(r);
    await sleep(150);
    expect(a.transferred).toBeUndefined(); // still within the grace period: audio is buffered
    await waitFor(() => a.transferred !== undefined && b.transferred !== undefined, { timeoutMs: 2000 });
    const transferAt = r.sim.apisNamed("uuid_transfer")[0]?.at ?? 0;
    expect(transferAt - cutAt).toBeGreaterThanOrEqual(300);
    expect(a.transferred).toEqual({ destination: "200", context: "pbx.example.com" });
    await waitFor(() => r.sim.apisNamed("uuid_audio_stream").length === 2);
    expect(r.sim.apisNamed("uuid_audio_stream").map((x) => x.line).sort()).toEqual([`uuid_audio_stream ${a.callId} stop`, `uuid_audio_stream ${b.callId} stop`].sort());
    expect(r.logs.lines.filter((l) => l.msg === "call falls back").map((l) => l.reason)).toEqual(["link-lost", "link-lost"]);
  });

  it("without FALLBACK_EXTENSION the call is hung up, and FALLBACK_CONTEXT is not needed", async () => {
    const r = await rig({ linkGraceMs: 200 });
    const a = await liveCall(r);
    cutLink(r);
    await waitFor(() => a.hungUp !== undefined, { timeoutMs: 2000 });
    expect(a.hungUp?.cause).toBe("NORMAL_TEMPORARY_FAILURE");
    expect(r.logs.lines.find((l) => l.msg === "call falls back")).toMatchObject({ reason: "link-lost", action: "hangup" });
    await waitFor(() => r.relay.calls.size === 0 && !a.socketOpen);
  });

  it("a link back within the grace period: no fallback, the call resumes", async () => {
    const r = await rig({ linkGraceMs: 1500, fallbackExtension: "200" });
    const a = await liveCall(r);
    r.conn.ws.terminate();
    await waitFor(() => r.stub.connections.length === 2 && r.relay.link.isUp, { timeoutMs: 2000 });
    await sleep(1600);
    expect(a.transferred).toBeUndefined();
    expect(r.stub.connections[1]?.controls("call.resume").map((m) => m.callId)).toEqual([a.callId]);
  });
});

describe("the inbound event socket", () => {
  it("reconnects after a drop; a command in flight fails with ESL_DISCONNECTED instead of hanging", async () => {
    const r = await rig();
    r.sim.holdReplies = true;
    const pending = r.relay.inbound.api({ api: "status", args: [] }).catch((err: unknown) => err);
    await waitFor(() => r.sim.apisNamed("status").length === 1);
    r.sim.dropInbound();
    const err = await pending;
    expect(err).toBeInstanceOf(EslError);
    expect((err as EslError).code).toBe("ESL_DISCONNECTED");
    r.sim.holdReplies = false;
    await waitFor(() => r.relay.inbound.isUp && r.relay.inbound.counters.disconnects === 1, { timeoutMs: 3000 });
    expect(await r.relay.inbound.api({ api: "module_exists", args: ["mod_audio_stream"] })).toBe("true");
  });

  it("a command that times out keeps its place: the late reply is not taken for the next command's", async () => {
    const r = await rig({ commandTimeoutMs: 100 });
    r.sim.holdReplies = true;
    const slow = r.relay.inbound.api({ api: "module_exists", args: ["mod_sofia"] }, 50).catch((err: unknown) => err);
    expect(((await slow) as EslError).code).toBe("ESL_TIMEOUT");
    r.sim.releaseReplies();
    expect(await r.relay.inbound.api({ api: "module_exists", args: ["mod_nope"] })).toBe("false");
  });

  it("bgapi: the result comes from the BACKGROUND_JOB event", async () => {
    const r = await rig();
    expect(await r.relay.inbound.bgapi({ api: "user_exists", args: ["id", "200", "pbx.example.com"] })).toBe("true");
  });

  it("a barge-in never waits behind another command on the shared inbound socket", async () => {
    const r = await rig();
    const call = await liveCall(r);
    r.sim.holdReplies = true; // FreeSWITCH busy with a slow command on the inbound socket
    r.conn.sendControl({ type: "command", id: "slow", callId: call.callId, name: "presence", args: { extension: "200" } });
    await waitFor(() => r.sim.apisNamed("user_exists").length === 1);
    const t0 = performance.now();
    r.conn.sendControl({ type: "playback.clear", callId: call.callId });
    await waitFor(() => r.sim.apisNamed("uuid_break").length === 1);
    expect(r.sim.apisNamed("uuid_break")[0]?.via).toBe("outbound");
    // Not queued behind the slow command: that one never answers until released below.
    expect((r.sim.apisNamed("uuid_break")[0]?.at ?? Infinity) - t0).toBeLessThan(500);
    r.sim.releaseReplies();
  });

  it("while it is down, a barge-in goes over the call's outbound socket", async () => {
    const r = await rig();
    const call = await liveCall(r);
    r.sim.refuseInbound = true;
    r.sim.dropInbound();
    await waitFor(() => !r.relay.inbound.isUp);
    r.conn.sendControl({ type: "playback.clear", callId: call.callId });
    await waitFor(() => r.sim.apisNamed("uuid_break").length === 1);
    expect(r.sim.apisNamed("uuid_break")[0]).toMatchObject({ via: "outbound", line: `uuid_break ${call.callId} all` });
  });

  it("a wrong ESL_PASSWORD is logged with its fix and retried with backoff", async () => {
    const r = await rig();
    const logs = captureLog("debug");
    const client = new InboundEsl({ host: "127.0.0.1", port: r.sim.eslPort, password: "wrong", log: logs.log, backoffMinMs: 5, backoffMaxMs: 20 });
    client.start();
    try {
      await waitFor(() => r.sim.authFailures >= 2, { what: "two refused attempts" });
      expect(client.isUp).toBe(false);
      expect(client.lastError).toBe("ESL_AUTH_FAILED");
      expect(logs.raw.join("\n")).toContain("set it to the password in event_socket.conf.xml");
      expect(logs.raw.join("\n")).not.toContain("wrong");
    } finally {
      client.stop();
    }
  });
});

describe("garbage on the event sockets", () => {
  it("200 connections of junk and cut setups on 8022: each closed, the relay and a live call unharmed", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const junk = [
      Buffer.from("Content-Length: zz\n\n"),
      Buffer.from("Content-Type: command/reply\nReply-Text: +OK\nUnique-ID: %FF%FE%ZZ\n\n"),
      Buffer.from("Content-Type: command/reply\nContent-Length: 99999999\n\n"),
      Buffer.alloc(300_000, 0x41),
      Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x0a]),
    ];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        new Promise<void>((resolve) => {
          const s = connect({ host: "127.0.0.1", port: r.relay.addresses.outbound.port });
          s.on("error", () => resolve());
          s.on("close", () => resolve());
          s.on("data", () => {
            s.write(junk[i % junk.length] as Buffer);
            if (i % 7 === 0) s.destroy(); // dropped mid-command
          });
        }),
      ),
    );
    await waitFor(() => r.relay.outbound.open === 1, { what: "only the live call's socket left" });
    call.dtmf("7");
    await waitFor(() => r.conn.controls("dtmf").length === 1);
    expect(r.relay.calls.size).toBe(1);
  });
});
