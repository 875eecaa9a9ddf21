import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RuntimeTransferRule } from "../../../workers/config/secretary-config.js";
import { HandoffController, reachableAgents, type CommandOutcome, type HandoffPorts, type HandoffResult } from "../../../workers/handoff/controller.js";
import { OmniplayClient, type Ticket } from "../../../workers/handoff/omniplay.js";
import { TransferRules } from "../../../workers/handoff/transfer-rules.js";
import { TriggerPolicy } from "../../../workers/handoff/triggers.js";
import { startOmniplayStandIn, type OmniplayStandIn } from "../../stand-ins/omniplay.js";

const MONDAY_10H_SP = Date.parse("2026-11-23T13:00:00Z");
const SUNDAY_SP = Date.parse("2026-11-29T13:00:00Z");
const rules: RuntimeTransferRule[] = [
  { department: "suporte", phrases: ["problema", "internet"], priority: 0, destination: { name: "Suporte", kind: "extension", extension: "201", context: "demo.local" } },
];

let omniplay: OmniplayStandIn;
beforeAll(async () => {
  omniplay = await startOmniplayStandIn();
});
afterAll(async () => {
  await omniplay.close();
});
beforeEach(() => omniplay.script({}));

interface Rig {
  c: HandoffController;
  spoken: { lineId: string; text: string; viaTool: boolean }[];
  commands: { name: string; args: Record<string, string> }[];
  events: string[];
  result: Promise<HandoffResult>;
  callId: string;
}

let n = 0;
function rig(o: { now?: number; presence?: boolean; transfer?: CommandOutcome | "silent"; companyId?: string; omniplay?: boolean; playAtOnce?: boolean } = {}): Rig {
  const callId = `7a000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const spoken: Rig["spoken"] = [];
  const commands: Rig["commands"] = [];
  const events: string[] = [];
  let kept: Ticket | null = null;
  let done: (r: HandoffResult) => void = () => undefined;
  const result = new Promise<HandoffResult>((r) => (done = r));
  const ref: { c?: HandoffController } = {};
  const ports: HandoffPorts = {
    now: () => o.now ?? MONDAY_10H_SP,
    speak: (lineId, text, toolResult) => {
      spoken.push({ lineId, text, viaTool: toolResult !== undefined });
      toolResult?.({ status: "ok", say_exactly: text });
      // The relay reports the line played a moment later.
      if (o.playAtOnce !== false) setTimeout(() => ref.c?.played(lineId), 5);
    },
    command: async (name, args) => {
      commands.push({ name, args });
      if (name === "presence") return { ok: true, result: { extension: args.extension, exists: true, registered: o.presence ?? true } };
      // "silent": the relay never answers, and RelayCommands gives up on its own timeout.
      if (name === "transfer" && o.transfer === "silent") return new Promise<CommandOutcome>((resolve) => setTimeout(() => resolve({ ok: false, error: { code: "NO_RESULT", message: "no command.result" } }), 100));
      if (name === "transfer") return typeof o.transfer === "object" ? o.transfer : { ok: true, result: {} };
      return { ok: true, result: {} };
    },
    stopListening: () => events.push("stop_listening"),
    resumeListening: () => events.push("resume_listening"),
    returnToAi: (context) => events.push(`return:${context}`),
    summarize: async (given) => given ?? "Resumo da ligação.",
    omniplay: o.omniplay === false ? null : new OmniplayClient({ baseUrl: omniplay.url, serviceToken: null, companyId: o.companyId ?? "acme" }, { sleep: async () => undefined, timeoutMs: 1000 }),
    ticketRequest: (summary, reason, callbackNumber) => ({
      call_uuid: callId,
      caller_id: callbackNumber ?? "+5511999990000",
      transcript: [],
      summary,
      provider: "openai-realtime",
      language: "pt-BR",
      duration_seconds: 10,
      turns: 1,
      avg_latency_ms: null,
      handoff_reason: reason,
      queue_id: "1",
      secretary_uuid: null,
      attach_recording: false,
      conversation_id: null,
    }),
    ticketStore: { get: () => kept, put: (t) => void (kept = t) },
    finished: (r) => done(r),
    log: (_level, event) => events.push(event),
  };
  const c = new HandoffController(
    {
      businessHours: { timeZone: "America/Sao_Paulo", groups: [{ wday: "2-6", "time-of-day": "08:00-18:00" }] },
      presenceCheck: true,
      ticketsEnabled: true,
      lines: {
        transferring: (t) => `Transferindo para ${t.department ?? t.extension}.`,
        ticket: (p) => `Protocolo ${p}. Até logo!`,
        sorry: "Desculpe. Até logo!",
        transferFailed: (_t, why) => (why === "busy" ? "Está ocupado. Quer deixar um recado?" : "Não consegui transferir. Quer deixar um recado?"),
        farewell: "Até logo!",
      },
      timeouts: { transferMs: 5000, presenceMs: 200, lineMs: 500 },
      toolHoldMs: 300,
    },
    new TransferRules(rules, "200"),
    new TriggerPolicy({ enabled: true, keywords: [], maxAiTurns: 3 }),
    ports,
  );
  ref.c = c;
  return { c, spoken, commands, events, result, callId };
}

const tool = (r: Rig, name: string) => r.c.tools.find((t) => t.spec.name === name)!;

describe("HandoffController", () => {
  it("keyword -> presence -> line -> transfer -> transferred", async () => {
    const r = rig();
    r.c.callerSaid("tenho um problema, quero um atendente");
    expect(await r.result).toMatchObject({ outcome: "transferred", reason: "keyword_detected" });
    expect(r.commands).toEqual([
      { name: "presence", args: { extension: "201" } },
      { name: "transfer", args: { destination: "201", context: "demo.local", timeoutSeconds: "5" } },
    ]);
    expect(r.spoken).toEqual([{ lineId: "handoff-1", text: "Transferindo para suporte.", viaTool: false }]);
  });

  it("transfer_call from the model: the line is the tool's result", async () => {
    const r = rig();
    const answer = await tool(r, "transfer_call").run({ department: "suporte", reason: "quer suporte" });
    expect(answer).toEqual({ status: "ok", say_exactly: "Transferindo para suporte." });
    expect(await r.result).toMatchObject({ outcome: "transferred", reason: "user_request" });
  });

  it("after hours -> ticket at OmniPlay -> protocol read -> hangup after it played", async () => {
    const r = rig({ now: SUNDAY_SP, companyId: "acme-after" });
    r.c.callerSaid("quero falar com um humano");
    const res = await r.result;
    expect(res).toMatchObject({ outcome: "ticket_created", reason: "after_hours", summary: "Resumo da ligação." });
    const ticket = omniplay.tickets().find((t) => t.body.call_uuid === r.callId);
    expect(ticket?.body).toMatchObject({ handoff_reason: "after_hours", summary: "Resumo da ligação." });
    expect(res.ticketId).toBe(String(ticket?.ticket_id));
    expect(r.spoken.at(-1)?.text).toBe(`Protocolo ${ticket?.ticket_id}. Até logo!`);
    expect(r.commands.at(-1)).toEqual({ name: "hangup", args: {} });
    expect(r.events).toContain("stop_listening");
  });

  it("extension not registered, agents online at OmniPlay -> transfer to the agent", async () => {
    const r = rig({ presence: false, companyId: "test-online-1" });
    r.c.callerSaid("atendente");
    expect(await r.result).toMatchObject({ outcome: "transferred" });
    // The stand-in's company has agents on 200 and 201, strategy ring_all: both ring at once.
    expect(r.commands.at(-1)).toEqual({ name: "transfer", args: { destinations: "200,201", timeoutSeconds: "5" } });
  });

  it("reachableAgents: online, transferable and distinct, in OmniPlay's order; all for ring_all (at most 10), else the first; never its dialString", () => {
    const agent = (extension: string, status = "online") => ({ id: 1, name: "A", extension, status });
    const base = { hasOnlineAgents: true, dialString: "user/200 & user/201;system", strategy: "ring_all" };
    const ok = (ext: string) => /^\d+$/.test(ext);
    expect(reachableAgents({ ...base, agents: [agent("201"), agent("200"), agent("202", "away"), agent("201"), agent("x;y")] }, ok)).toEqual(["201", "200"]);
    expect(reachableAgents({ ...base, strategy: "round_robin", agents: [agent("201"), agent("200")] }, ok)).toEqual(["201"]);
    expect(reachableAgents({ ...base, strategy: null, agents: [agent("201"), agent("200")] }, ok)).toEqual(["201", "200"]);
    expect(reachableAgents({ ...base, agents: Array.from({ length: 15 }, (_, i) => agent(String(300 + i))) }, ok)).toHaveLength(10);
  });

  it("the relay takes the caller back from a busy extension -> the AI hears again and offers a message", async () => {
    const r = rig({ transfer: { ok: false, error: { code: "TRANSFER_BUSY", message: "201 is busy (USER_BUSY)" } } });
    r.c.callerSaid("pessoa");
    await vi.waitFor(() => expect(r.events.some((e) => e.startsWith("return:"))).toBe(true), { timeout: 3000 });
    expect(r.events).toEqual(["stop_listening", "resume_listening", "return:Está ocupado. Quer deixar um recado?"]);
    expect(r.c.phase).toBe("idle");
  });

  it("transfer never confirmed by the relay -> back to the AI -> take_message -> ticket", async () => {
    const r = rig({ transfer: "silent" });
    r.c.callerSaid("pessoa");
    await vi.waitFor(() => expect(r.events.some((e) => e.startsWith("return:"))).toBe(true), { timeout: 3000 });
    expect(r.c.phase).toBe("idle");
    const answer = tool(r, "take_message").run({ summary: "Ligar de volta amanhã", callback_number: "+5511988887777" });
    const res = await r.result;
    expect(await answer).toMatchObject({ say_exactly: expect.stringContaining("Protocolo") });
    expect(res).toMatchObject({ outcome: "ticket_created", reason: "user_request", summary: "Ligar de volta amanhã" });
  });

  it("OmniPlay down -> goodbye anyway, outcome failed with the reason", async () => {
    const r = rig({ now: SUNDAY_SP, companyId: "test-down-2" });
    r.c.agentAnswered();
    r.c.agentAnswered();
    r.c.agentAnswered();
    const res = await r.result;
    expect(res).toMatchObject({ outcome: "failed", reason: "after_hours", error: "omniplay http 503" });
    expect(r.spoken.at(-1)?.text).toBe("Desculpe. Até logo!");
    expect(r.commands.at(-1)?.name).toBe("hangup");
  });

  it("a line never reported played still ends in a hangup (line timeout)", async () => {
    const r = rig({ playAtOnce: false });
    await tool(r, "end_call").run({ reason: "cliente satisfeito" });
    expect(await r.result).toMatchObject({ outcome: "completed", reason: null });
    expect(r.commands).toEqual([{ name: "hangup", args: {} }]);
  });

  it("check_business_hours answers in the secretary's zone", async () => {
    expect(await tool(rig(), "check_business_hours").run({})).toEqual({ open: true, localTime: "2026-11-23 10:00", timeZone: "America/Sao_Paulo" });
    expect(await tool(rig({ now: SUNDAY_SP }), "check_business_hours").run({})).toMatchObject({ open: false });
  });

  it("a second tool call while a handoff runs is told to stay quiet", async () => {
    const r = rig({ playAtOnce: false });
    r.c.callerSaid("atendente");
    expect(await tool(r, "transfer_call").run({ reason: "x" })).toMatchObject({ status: "busy" });
    r.c.cancel();
  });
});
