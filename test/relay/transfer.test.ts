/**
 * Supervised transfers (`transfer` with `timeoutSeconds`), run by the relay
 * on the simulated FreeSWITCH, whose extensions answer, ring out or are
 * busy the way FusionPBX's local-extension dialplan makes them: the result
 * waits for the bridge; an unanswered or busy target brings the caller back
 * (`uuid_transfer <uuid> park inline`) with the stream still up, so the AI
 * can speak again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import { liveCall, ramp, rig, teardown, type Rig } from "./harness.js";

afterEach(teardown);

let nextId = 0;
function send(r: Rig, callId: string, args: Record<string, string | number>) {
  const id = `xfer-${++nextId}`;
  r.conn.sendControl({ type: "command", id, callId, name: "transfer", args });
  return {
    id,
    result: async (timeoutMs = 5000) => {
      await waitFor(() => r.conn.controls("command.result").some((m) => m.id === id), { timeoutMs, what: "the transfer's result" });
      return r.conn.controls("command.result").find((m) => m.id === id)!;
    },
  };
}

const lines = (r: Rig, callId: string) => r.sim.apis.filter((a) => a.line.includes(callId)).map((a) => a.line);

describe("supervised transfer", () => {
  it("answered: the result waits for the bridge, then the stream stops and the call ends on the link as transferred", async () => {
    const r = await rig();
    r.sim.options.users["200"] = { registered: true, answers: "answer", answerAfterMs: 300 };
    const call = await liveCall(r);
    const sent = send(r, call.callId, { destination: "200", timeoutSeconds: 10 });
    await waitFor(() => call.dialplan === "ringing", { what: "the bridge to ring" });
    // Ringing: nothing answered yet, the stream still runs (the AI is muted by the cloud, not cut off).
    expect(r.conn.controls("command.result").some((m) => m.id === sent.id)).toBe(false);
    expect(call.module.open).toBe(true);
    const result = await sent.result();
    expect(call.dialplan).toBe("bridged");
    expect(result).toMatchObject({ ok: true, result: { destination: "200", context: "pbx.example.com", answered: true } });
    expect(lines(r, call.callId)).toEqual([`uuid_transfer ${call.callId} 200 XML pbx.example.com`, `uuid_audio_stream ${call.callId} stop`]);
    await waitFor(() => r.conn.controls("call.end").some((e) => e.callId === call.callId && e.reason === "transferred"));
    expect(call.recalls).toBe(0);
  });

  it("busy: the caller is taken back at once (park inline), the stream stays, and agent audio plays again", async () => {
    const r = await rig();
    r.sim.options.users["202"] = { registered: true, answers: "busy" };
    const call = await liveCall(r);
    const result = await send(r, call.callId, { destination: "202", timeoutSeconds: 30 }).result();
    expect(result).toMatchObject({ ok: false, error: { code: "TRANSFER_BUSY" } });
    expect(result.error?.message).toContain("USER_BUSY");
    expect(call.dialplan).toBe("parked");
    expect(call.recalls).toBe(1);
    expect(lines(r, call.callId)).toEqual([`uuid_transfer ${call.callId} 202 XML pbx.example.com`, `uuid_transfer ${call.callId} park inline`]);
    expect(call.module.open).toBe(true);
    expect(r.conn.controls("call.end")).toEqual([]);
    // The cloud (an echo here) talks again: its audio is played on the parked channel.
    const before = call.played.length;
    await call.module.stream(ramp(6400));
    await waitFor(() => call.played.length > before, { what: "agent audio played after the recall" });
    expect(r.relay.calls.counters.fallbacks).toBe(0);
  });

  it("rings out in the target's dialplan (its call_timeout) before ours: taken back before voicemail keeps the caller", async () => {
    const r = await rig();
    r.sim.options.users["203"] = { registered: true, answers: "no-answer", ringTimeoutMs: 400 };
    const call = await liveCall(r);
    const result = await send(r, call.callId, { destination: "203", timeoutSeconds: 30 }).result();
    expect(result).toMatchObject({ ok: false, error: { code: "TRANSFER_NO_ANSWER" } });
    expect(call.dialplan).toBe("parked");
    expect(call.module.open).toBe(true);
  });

  it("rings past our timeout: the relay cancels the ringing and takes the caller back", async () => {
    const r = await rig();
    r.sim.options.users["204"] = { registered: true, answers: "no-answer", ringTimeoutMs: 60_000 };
    const call = await liveCall(r);
    const started = performance.now();
    const result = await send(r, call.callId, { destination: "204", timeoutSeconds: 5 }).result(10_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4900);
    expect(result).toMatchObject({ ok: false, error: { code: "TRANSFER_NO_ANSWER", message: "204 did not answer within 5 s" } });
    expect(call.dialplan).toBe("parked");
    expect(call.eventsSent.filter((e) => e === "CHANNEL_EXECUTE_COMPLETE")).toHaveLength(1); // the cancelled bridge's, after the recall
  }, 15_000);

  it("the caller hangs up while it rings: the call ends on the link with the cause, no recall, no fallback", async () => {
    const r = await rig({ fallbackExtension: "999" });
    r.sim.options.users["204"] = { registered: true, answers: "no-answer" };
    const call = await liveCall(r);
    send(r, call.callId, { destination: "204", timeoutSeconds: 30 });
    await waitFor(() => call.dialplan === "ringing");
    call.hangup("ORIGINATOR_CANCEL");
    await waitFor(() => r.relay.calls.size === 0 && r.conn.controls("call.end").length === 1);
    expect(r.conn.controls("call.end").find((e) => e.callId === call.callId)).toMatchObject({ reason: "hangup", cause: "ORIGINATOR_CANCEL" });
    expect(call.recalls).toBe(0);
    expect(r.relay.calls.counters.fallbacks).toBe(0);
  });

  it("the link drops while it rings: no fallback over a ringing transfer, and unanswered the caller stays with the target's dialplan", async () => {
    const r = await rig({ fallbackExtension: "999", linkGraceMs: 200 });
    r.sim.options.users["203"] = { registered: true, answers: "no-answer", ringTimeoutMs: 1200 };
    const call = await liveCall(r);
    send(r, call.callId, { destination: "203", timeoutSeconds: 30 });
    await waitFor(() => call.dialplan === "ringing");
    r.stub.options.token = "revoked"; // the link stays down: reconnects are refused
    r.conn.ws.terminate();
    await waitFor(() => call.dialplan === "voicemail", { what: "the bridge to ring out" });
    await waitFor(() => r.sim.apisNamed("uuid_audio_stream").length === 1, { what: "the stream stopped" });
    expect(call.recalls).toBe(0);
    expect(call.transfers.map((t) => t.destination)).toEqual(["203"]); // not the fallback's 999
    expect(r.relay.calls.counters.fallbacks).toBe(0);
  });

  it("a destination that never bridges (an IVR): delivered at the timeout, handed over", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const result = await send(r, call.callId, { destination: "5000", timeoutSeconds: 5 }).result(10_000);
    expect(call.dialplan).toBe("other");
    expect(result).toMatchObject({ ok: true, result: { destination: "5000", answered: false } });
    expect(call.recalls).toBe(0);
    expect(lines(r, call.callId)).toEqual([`uuid_transfer ${call.callId} 5000 XML pbx.example.com`, `uuid_audio_stream ${call.callId} stop`]);
  }, 15_000);

  it("the uuid_transfer reply is lost (event socket dropped) but FreeSWITCH took it: the bridge events decide, one transfer only", async () => {
    const r = await rig();
    r.sim.options.users["200"] = { registered: true, answers: "answer", answerAfterMs: 300 };
    const call = await liveCall(r);
    r.sim.holdReplies = true;
    const sent = send(r, call.callId, { destination: "200", timeoutSeconds: 10 });
    await waitFor(() => r.sim.apisNamed("uuid_transfer").length === 1, { what: "uuid_transfer at FreeSWITCH" });
    r.sim.dropInbound();
    r.sim.holdReplies = false;
    const result = await sent.result();
    expect(result).toMatchObject({ ok: true, result: { destination: "200", answered: true } });
    expect(call.transfers).toHaveLength(1);
    await waitFor(() => !call.module.open, { what: "the stream stopped" });
    await waitFor(() => r.conn.controls("call.end").some((e) => e.callId === call.callId && e.reason === "transferred"));
  });

  it("bridged to someone while with the AI (an intercept): the relay hands the call over and stops listening", async () => {
    const r = await rig({ fallbackExtension: "999" });
    const call = await liveCall(r);
    call.fire("CHANNEL_BRIDGE", [["Other-Leg-Unique-ID", "b-leg"]]);
    await waitFor(() => r.conn.controls("call.end").some((e) => e.callId === call.callId && e.reason === "transferred"), { what: "call.end transferred" });
    await waitFor(() => !call.module.open, { what: "the stream stopped" });
    expect(r.sim.apis.map((a) => a.line)).toEqual([`uuid_audio_stream ${call.callId} stop`]);
    expect(r.relay.calls.counters.fallbacks).toBe(0);
  });

  it("ring all (OmniPlay's ring_all): one inline bridge to every agent in the call's domain; the first to answer takes the call", async () => {
    const r = await rig();
    r.sim.options.users["200"] = { registered: true, answers: "no-answer" };
    r.sim.options.users["201"] = { registered: true, answers: "answer", answerAfterMs: 200 };
    const call = await liveCall(r);
    const result = await send(r, call.callId, { destinations: "200,201", timeoutSeconds: 20 }).result();
    expect(result).toMatchObject({ ok: true, result: { destination: "200,201", context: "inline", answered: true } });
    expect(lines(r, call.callId)).toEqual([
      `uuid_transfer ${call.callId} m:^:set:continue_on_fail=true^set:hangup_after_bridge=true^bridge:user/200@pbx.example.com,user/201@pbx.example.com^park inline`,
      `uuid_audio_stream ${call.callId} stop`,
    ]);
    expect(call.dialplan).toBe("bridged");
  });

  it("ring all, everyone busy: the inline parks the caller, the relay confirms the recall, and the AI has the caller again", async () => {
    const r = await rig();
    r.sim.options.users["200"] = { registered: true, answers: "busy" };
    r.sim.options.users["201"] = { registered: false };
    const call = await liveCall(r);
    const result = await send(r, call.callId, { destinations: "200,201", timeoutSeconds: 20 }).result();
    expect(result).toMatchObject({ ok: false, error: { code: "TRANSFER_BUSY" } });
    expect(call.dialplan).toBe("parked");
    expect(call.module.open).toBe(true);
  });

  it("ring all is refused unless every extension is plain, distinct, 2 to 10 of them, and supervised", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const bad: Record<string, string | number>[] = [
      { destinations: "200" },
      { destinations: "200,201" },
      { destinations: "200", timeoutSeconds: 20 },
      { destinations: "200,200", timeoutSeconds: 20 },
      { destinations: "200,${x}", timeoutSeconds: 20 },
      { destinations: "200,user/201", timeoutSeconds: 20 },
      { destinations: "200,201^system:id", timeoutSeconds: 20 },
      { destinations: "200, 201", timeoutSeconds: 20 },
      { destinations: "200,201", destination: "202", timeoutSeconds: 20 },
      { destinations: "200,201", context: "inline", timeoutSeconds: 20 },
      { destinations: Array.from({ length: 11 }, (_, i) => String(300 + i)).join(","), timeoutSeconds: 20 },
      { destinations: 200201, timeoutSeconds: 20 },
    ];
    for (const args of bad) {
      const result = await send(r, call.callId, args).result();
      expect(result, JSON.stringify(args)).toMatchObject({ ok: false, error: { code: "COMMAND_BAD_ARGUMENT" } });
    }
    expect(r.sim.apis).toEqual([]);
  });

  it("timeoutSeconds is checked like any argument: out of range or not a number never reaches FreeSWITCH", async () => {
    const r = await rig();
    const call = await liveCall(r);
    for (const bad of [0, 4, 301, "30 api", "1e3", -5, 7.5]) {
      const result = await send(r, call.callId, { destination: "200", timeoutSeconds: bad }).result();
      expect(result).toMatchObject({ ok: false, error: { code: "COMMAND_BAD_ARGUMENT" } });
    }
    expect(r.sim.apis).toEqual([]);
  });
});
