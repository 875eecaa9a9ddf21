/**
 * The allow-list: what the cloud may ask for, and a battery of hostile
 * inputs proving nothing on shared/FREESWITCH.md's "never reachable" list
 * can be reached, whatever the command name or arguments.
 */
import { describe, expect, it } from "vitest";
import { ALLOWED_APIS, CommandError, planCommand, renderApi, type CallFacts } from "./commands.js";
import { apiCommand, encodeCommand, hangupMessage, isPlayableFile, playbackMessage } from "./wire.js";

const CALL = "6a0d6a52-7d7b-4bb8-9a2e-7c1f0c4c9e11";
const facts: CallFacts = { callId: CALL, context: "pbx.example.com", domainName: "pbx.example.com" };

const lines = (name: string, args: Record<string, unknown>) => {
  const planned = planCommand(name, args, facts);
  return planned.ok ? planned.plan.steps.map((s) => apiCommand(s)) : [];
};

describe("planCommand", () => {
  it("transfer: uuid_transfer to XML in the call's context, then stops the stream", () => {
    expect(lines("transfer", { destination: "200" })).toEqual([`api uuid_transfer ${CALL} 200 XML pbx.example.com\n\n`, `api uuid_audio_stream ${CALL} stop\n\n`]);
    expect(lines("transfer", { destination: 201, context: "sales" })[0]).toBe(`api uuid_transfer ${CALL} 201 XML sales\n\n`);
  });

  it("hangup with an allowed cause (NORMAL_CLEARING by default)", () => {
    expect(lines("hangup", {})).toEqual([`api uuid_kill ${CALL} NORMAL_CLEARING\n\n`]);
    expect(lines("hangup", { cause: "USER_BUSY" })).toEqual([`api uuid_kill ${CALL} USER_BUSY\n\n`]);
  });

  it("clear_playback is uuid_break <uuid> all", () => {
    expect(lines("clear_playback", {})).toEqual([`api uuid_break ${CALL} all\n\n`]);
  });

  it("presence asks user_exists and sofia_contact within the call's domain only", () => {
    expect(lines("presence", { extension: "200" })).toEqual([`api user_exists id 200 pbx.example.com\n\n`, `api sofia_contact */200@pbx.example.com\n\n`]);
    expect(planCommand("presence", { extension: "200", domain: "other.example.com" }, facts)).toMatchObject({ ok: false, code: CommandError.NotPermitted });
    expect(planCommand("presence", { extension: "200" }, { callId: CALL })).toMatchObject({ ok: false, code: CommandError.CallNotReady });
  });

  it("refuses unknown commands and unexpected arguments", () => {
    expect(planCommand("originate", {}, facts)).toMatchObject({ ok: false, code: CommandError.Unknown });
    expect(planCommand("transfer", { destination: "200", dialplan: "inline" }, facts)).toMatchObject({ ok: false, code: CommandError.BadArgument });
  });
});

/** Names and argument values a hostile or broken cloud might send. */
const HOSTILE_VALUES: unknown[] = [
  "200\r\napi system rm -rf /",
  "200\nbgapi originate",
  "200\rsendmsg",
  "${system(id)}",
  "$${hold_music}",
  "${api_hangup_hook}",
  "playback::/etc/passwd",
  "app::system",
  "system:touch /tmp/x",
  "inline",
  "INLINE",
  "-bleg",
  "-both",
  "200 XML inline",
  "200 inline",
  "'200'",
  '"200"',
  "200'; system id; '",
  "`id`",
  "200;system",
  "200|bg_system",
  "200&&reboot",
  "{origination_caller_id_number=1}200",
  "[leg_timeout=1]200",
  "200@evil.example.com",
  "200 200",
  " 200",
  "200\t",
  "200\u0000",
  "200\u0085",
  "200\u2028",
  "ramal-é",
  "二百",
  "٢٠٠",
  "x".repeat(33),
  "9".repeat(5000),
  "",
  "../../etc/passwd",
  "lua",
  "system",
  "xml",
  "user/200",
  "sofia/internal/200@1.2.3.4",
  "loopback/200",
  "&bridge(user/200)",
  true,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 2,
  null,
];

const HOSTILE_NAMES = ["system", "bg_system", "spawn", "fsctl", "shutdown", "load", "unload", "reloadxml", "originate", "bgapi", "sched_api", "hupall", "global_setvar", "eval", "expand", "lua", "luarun", "jsrun", "pyrun", "xml_locate", "user_data", "find_user", "uuid_record", "uuid_bridge", "sofia", "sendevent", "sendmsg", "uuid_broadcast", "uuid_setvar", "api", "TRANSFER", "transfer ", "__proto__", "constructor"];

/** Everything that must never appear in a command line the relay writes. */
const FORBIDDEN = /\b(system|bg_system|spawn|fsctl|shutdown|load|unload|reload|originate|sched_|hupall|global_setvar|eval|expand|lua|luarun|jsrun|pyrun|xml_locate|user_data|find_user|uuid_record|uuid_bridge|sendevent|uuid_broadcast|uuid_setvar|inline)\b|::|\$|\{|'|"|`|\r|\n(?!\n?$)/i;

describe("hostile input", () => {
  it(`none of ${HOSTILE_NAMES.length} command names runs anything`, () => {
    for (const name of HOSTILE_NAMES) expect(planCommand(name, { destination: "200" }, facts)).toMatchObject({ ok: false, code: CommandError.Unknown });
  });

  it(`${HOSTILE_VALUES.length} hostile values in every argument of every command: refused, or only plain tokens go out`, () => {
    let checked = 0;
    for (const value of HOSTILE_VALUES) {
      for (const [name, key] of [["transfer", "destination"], ["transfer", "context"], ["hangup", "cause"], ["presence", "extension"], ["presence", "domain"], ["clear_playback", "x"]] as const) {
        const args: Record<string, unknown> = name === "transfer" && key === "context" ? { destination: "200", context: value } : name === "presence" && key === "domain" ? { extension: "200", domain: value } : { [key]: value };
        const planned = planCommand(name, args, facts);
        checked++;
        if (!planned.ok) {
          expect([CommandError.BadArgument, CommandError.NotPermitted]).toContain(planned.code);
          continue;
        }
        for (const step of planned.plan.steps) {
          const line = apiCommand(step);
          expect(line).not.toMatch(FORBIDDEN);
          expect(line.split("\n").filter(Boolean)).toHaveLength(1);
          expect(ALLOWED_APIS).toContain(step.api);
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30 * 6);
  });

  it("a hostile call id never reaches a command", () => {
    for (const callId of ["x", `${CALL} all\napi system`, `${CALL}\n`, "*", ""]) {
      expect(planCommand("hangup", {}, { ...facts, callId })).toMatchObject({ ok: false });
    }
  });

  it("renderApi is a second gate: unknown APIs and unsafe tokens throw", () => {
    expect(() => renderApi({ api: "system" as never, args: ["id"] })).toThrow(TypeError);
    expect(() => renderApi({ api: "uuid_kill", args: ["not-a-uuid"] })).toThrow(TypeError);
    for (const bad of ["a b", "${x}", "app::x", "a:b", "x'y", 'x"y', "a\nb", "a\rb"]) {
      expect(() => renderApi({ api: "uuid_transfer", args: [CALL, bad, "XML", "default"] })).toThrow(TypeError);
    }
  });

  it("a supervised transfer: timeoutSeconds from 5 to 300 as a number or digits; the recall is the one inline the relay sends", () => {
    const planned = planCommand("transfer", { destination: "200", timeoutSeconds: "30" }, facts);
    expect(planned).toMatchObject({ ok: true, plan: { timeoutMs: 30_000, recall: { api: "uuid_transfer", args: [CALL, "park", "inline"] } } });
    expect(planCommand("transfer", { destination: "200", timeoutSeconds: 300 }, facts)).toMatchObject({ ok: true, plan: { timeoutMs: 300_000 } });
    expect(planCommand("transfer", { destination: "200" }, facts)).toMatchObject({ ok: true, plan: { name: "transfer" } });
    expect(planCommand("transfer", { destination: "200" }, facts).ok && "timeoutMs" in (planCommand("transfer", { destination: "200" }, facts) as { plan: object }).plan).toBe(false);
    for (const bad of [4, 301, "5 api", "0x10", "1e2", 12.5, -30, "", true]) {
      expect(planCommand("transfer", { destination: "200", timeoutSeconds: bad }, facts)).toMatchObject({ ok: false, code: CommandError.BadArgument });
    }
    expect(renderApi({ api: "uuid_transfer", args: [CALL, "park", "inline"] })).toBe(`uuid_transfer ${CALL} park inline`);
  });

  it("ring all renders the relay's own inline dialplan in the call's domain, and nothing near it passes", () => {
    const planned = planCommand("transfer", { destinations: "200,201", timeoutSeconds: 30 }, facts);
    expect(planned).toMatchObject({ ok: true, plan: { destination: "200,201", context: "inline", timeoutMs: 30_000 } });
    const line = `uuid_transfer ${CALL} m:^:set:continue_on_fail=true^set:hangup_after_bridge=true^bridge:user/200@pbx.example.com,user/201@pbx.example.com^park inline`;
    expect(planned.ok && renderApi(planned.plan.steps[0]!)).toBe(line);
    const good = `m:^:set:continue_on_fail=true^set:hangup_after_bridge=true^bridge:user/200@pbx.example.com,user/201@pbx.example.com^park`;
    for (const evil of [
      good.replace("^park", "^system:id^park"),
      good.replace("continue_on_fail=true", "api_hangup_hook=system"),
      good.replace("user/201", "sofia/gateway/x/5511"),
      good.replace("user/201@pbx.example.com", "user/201@pbx.example.com}"),
      good.replace("^park", ""),
      good.replace("m:^:", "m:,:"),
      good.replace(",user/201@pbx.example.com", ""),
      `${good} x`,
      good.replace("user/200", "user/${x}"),
    ]) {
      expect(() => renderApi({ api: "uuid_transfer", args: [CALL, evil, "inline"] }), evil).toThrow(TypeError);
    }
    expect(planCommand("transfer", { destinations: "200,201", timeoutSeconds: 30 }, { callId: CALL })).toMatchObject({ ok: false, code: CommandError.CallNotReady });
  });

  it("renderApi takes uuid_transfer only as <uuid> <dest> XML <context> or the fixed recall", () => {
    for (const args of [
      [CALL, "200", "inline"],
      [CALL, "bridge", "inline"],
      [CALL, "park", "inline", "x"],
      [CALL, "200", "inline", "default"],
      [CALL, "200", "XML", "inline"],
      [CALL, "-bleg", "200", "XML"],
      [CALL, "200"],
    ]) {
      expect(() => renderApi({ api: "uuid_transfer", args })).toThrow(TypeError);
    }
  });

  it("encodeCommand refuses a line break in any part; playback takes only plain audio paths", () => {
    expect(() => encodeCommand("api status\napi system id")).toThrow(TypeError);
    expect(() => encodeCommand("sendmsg", [["execute-app-arg", "x\nexecute-app-name: system"]])).toThrow(TypeError);
    expect(playbackMessage(`/tmp/${CALL}_3.tmp.r16`)).toBe(`sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /tmp/${CALL}_3.tmp.r16\nevent-lock: true\n\n`);
    for (const file of ["/tmp/a.r16 /etc/passwd", "${base_dir}/x.r16", "/tmp/../etc/x.r16", "tone_stream://%(100,0,440)", "/tmp/x.r16\n", "/tmp/x.sh", "say::en number 1", "{a=b}/tmp/x.r16"]) {
      expect(isPlayableFile(file)).toBe(false);
      expect(() => playbackMessage(file)).toThrow(TypeError);
    }
    expect(() => hangupMessage("NORMAL_CLEARING\nx")).toThrow(TypeError);
  });
});
