/**
 * Typed commands from the cloud, run by the relay on the simulated
 * FreeSWITCH: each allowed command, refusals with typed errors, and a
 * hostile batch that leaves no trace at the simulator but refusals.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encodeRecord, RecordKind } from "../../shared/link/index.js";
import { waitFor } from "../../relay/testing/wait.js";
import { liveCall, rig, teardown, type Rig } from "./harness.js";

afterEach(teardown);

let nextId = 0;
async function command(r: Rig, callId: string, name: string, args: Record<string, string | number | boolean> = {}) {
  const id = `cmd-${++nextId}`;
  r.conn.sendControl({ type: "command", id, callId, name, args });
  await waitFor(() => r.conn.controls("command.result").some((m) => m.id === id), { what: `the result of ${name}` });
  return r.conn.controls("command.result").find((m) => m.id === id);
}

describe("commands from the cloud", () => {
  it("transfer: uuid_transfer in the call's context, then the stream stops, then call.end transferred", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const result = await command(r, call.callId, "transfer", { destination: "200" });
    expect(result).toMatchObject({ ok: true, result: { destination: "200", context: "pbx.example.com" } });
    expect(call.transferred).toEqual({ destination: "200", context: "pbx.example.com" });
    expect(r.sim.apis.map((a) => a.line)).toEqual([`uuid_transfer ${call.callId} 200 XML pbx.example.com`, `uuid_audio_stream ${call.callId} stop`]);
    await waitFor(() => r.conn.controls("call.end").length === 1);
    expect(r.conn.controls("call.end")[0]).toMatchObject({ reason: "transferred" });
    expect(call.module.open).toBe(false);
  });

  it("hangup with a cause: uuid_kill, then the hangup comes back as call.end with that cause", async () => {
    const r = await rig();
    const call = await liveCall(r);
    expect(await command(r, call.callId, "hangup", { cause: "NORMAL_CLEARING" })).toMatchObject({ ok: true });
    await waitFor(() => call.hungUp !== undefined && r.conn.controls("call.end").length === 1);
    expect(r.sim.apisNamed("uuid_kill").map((a) => a.line)).toEqual([`uuid_kill ${call.callId} NORMAL_CLEARING`]);
    await waitFor(() => call.socketClosedAt !== undefined && r.relay.calls.size === 0);
  });

  it("a hangup or transfer followed at once by the cloud's call.end runs as asked, not as a fallback", async () => {
    const r = await rig({ fallbackExtension: "999" });
    const a = await liveCall(r);
    const b = await liveCall(r);
    r.conn.sendControl(
      { type: "command", id: "h", callId: a.callId, name: "hangup", args: { cause: "NORMAL_CLEARING" } },
      { type: "call.end", callId: a.callId, reason: "goodbye" },
      { type: "command", id: "t", callId: b.callId, name: "transfer", args: { destination: "200" } },
      { type: "call.end", callId: b.callId, reason: "transferred" },
    );
    await waitFor(() => a.hungUp !== undefined && b.transferred !== undefined);
    await waitFor(() => r.sim.apisNamed("uuid_audio_stream").length === 1);
    expect(a.hungUp?.cause).toBe("NORMAL_CLEARING");
    expect(b.transferred).toEqual({ destination: "200", context: "pbx.example.com" });
    expect(r.relay.calls.counters.fallbacks).toBe(0);
    expect(r.sim.apis.map((x) => x.line.split(" ")[0])).toEqual(["uuid_kill", "uuid_transfer", "uuid_audio_stream"]);
  });

  it("presence: registered, existing but not registered, unknown", async () => {
    const r = await rig();
    const call = await liveCall(r);
    expect((await command(r, call.callId, "presence", { extension: "200" }))?.result).toMatchObject({ extension: "200", exists: true, registered: true });
    expect((await command(r, call.callId, "presence", { extension: 201 }))?.result).toMatchObject({ exists: true, registered: false });
    expect((await command(r, call.callId, "presence", { extension: "999" }))?.result).toMatchObject({ exists: false, registered: false });
  });

  it("clear_playback as a command is a uuid_break", async () => {
    const r = await rig();
    const call = await liveCall(r);
    expect(await command(r, call.callId, "clear_playback")).toMatchObject({ ok: true });
    expect(r.sim.apisNamed("uuid_break").map((a) => a.line)).toEqual([`uuid_break ${call.callId} all`]);
  });

  it("refusals are typed: unknown command, bad argument, other domain, a call not on this relay", async () => {
    const r = await rig();
    const call = await liveCall(r);
    expect((await command(r, call.callId, "originate", { destination: "200" }))?.error?.code).toBe("COMMAND_UNKNOWN");
    expect((await command(r, call.callId, "transfer", { destination: "200 XML inline" }))?.error?.code).toBe("COMMAND_BAD_ARGUMENT");
    expect((await command(r, call.callId, "presence", { extension: "200", domain: "other.example.com" }))?.error?.code).toBe("COMMAND_NOT_PERMITTED");
    expect((await command(r, "00000000-0000-4000-8000-000000000999", "hangup"))?.error?.code).toBe("LINK_UNKNOWN_CALL");
    expect(r.sim.apis).toEqual([]);
  });

  it("hostile input: 40 attempts, the simulator sees no command at all", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const attempts: [string, Record<string, string | number | boolean>][] = [
      ["system", { cmd: "id" }], ["bg_system", {}], ["fsctl", { x: "shutdown" }], ["originate", {}], ["eval", {}], ["lua", {}], ["luarun", {}], ["jsrun", {}],
      ["uuid_broadcast", {}], ["uuid_setvar", {}], ["sendmsg", {}], ["hupall", {}], ["sched_api", {}], ["reloadxml", {}], ["expand", {}], ["uuid_record", {}],
      ["transfer", { destination: "200;api system id" }], ["transfer", { destination: "${system(id)}" }], ["transfer", { destination: "app::system" }],
      ["transfer", { destination: "200", context: "inline" }], ["transfer", { destination: "-bleg" }], ["transfer", { destination: "'200'" }],
      ["transfer", { destination: '"200"' }], ["transfer", { destination: "ramal-é" }], ["transfer", { destination: "2".repeat(256) }],
      ["transfer", { destination: "200", context: "a b" }], ["transfer", { destination: "200", context: "${domain}" }], ["transfer", { destination: true }],
      ["transfer", { destination: "200", dialplan: "inline" }], ["transfer", { destination: "&bridge(user/200)" }], ["transfer", { destination: "{x=y}200" }],
      ["hangup", { cause: "NORMAL_CLEARING api system id" }], ["hangup", { cause: "${x}" }], ["hangup", { cause: "SYSTEM" }], ["hangup", { cause: 16 }],
      ["presence", { extension: "*/200@other" }], ["presence", { extension: "200", domain: "pbx.example.com bgapi" }], ["presence", { extension: "200@evil" }],
      ["presence", { extension: "" }], ["clear_playback", { all: "x" }],
    ];
    expect(attempts).toHaveLength(40);
    for (const [name, args] of attempts) {
      const result = await command(r, call.callId, name, args);
      expect(result?.ok).toBe(false);
    }
    expect(r.sim.apis).toEqual([]);
    expect(call.commands.map((c) => c.line.split(" ")[0])).toEqual(["connect", "myevents", "event", "linger"]);
  });

  it("CR/LF smuggled past the cloud's own codec: the link ends that call (protocol error), FreeSWITCH sees only the fallback", async () => {
    const r = await rig();
    const call = await liveCall(r);
    const other = await liveCall(r);
    const raw = { type: "command", id: "evil", callId: call.callId, name: "transfer", args: { destination: "200\r\n\r\napi system id\n\n" } };
    r.conn.sendRaw(encodeRecord(RecordKind.Control, new TextEncoder().encode(JSON.stringify(raw))));
    await waitFor(() => call.hungUp !== undefined, { what: "the call to fall back" });
    expect(r.sim.apis.map((a) => a.line)).toEqual([`uuid_kill ${call.callId} NORMAL_TEMPORARY_FAILURE`]);
    expect(r.conn.controls("call.end").find((e) => e.callId === call.callId)).toMatchObject({ code: "LINK_CONTROL_INVALID" });
    // The other call on the relay is untouched.
    expect(other.hungUp).toBeUndefined();
    expect(await command(r, other.callId, "presence", { extension: "200" })).toMatchObject({ ok: true });
  });
});

