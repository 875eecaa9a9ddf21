import { describe, expect, it } from "vitest";
import type { RuntimeTransferRule } from "../../../workers/config/secretary-config.js";
import { handoffToolSpecs, handoffTools, type HandoffToolHandlers } from "../../../workers/handoff/tools.js";
import { TransferRules } from "../../../workers/handoff/transfer-rules.js";
import { DEFAULT_HANDOFF_KEYWORDS, TriggerPolicy } from "../../../workers/handoff/triggers.js";
import { containsPhrase, findPhrase, fold, words } from "../../../workers/handoff/words.js";
import { ToolRegistry } from "../../../workers/providers/tools.js";

describe("words: case- and accent-insensitive whole words", () => {
  it("folds case and accents", () => {
    expect(fold("Não FUNCIONA, Orçamento")).toBe("nao funciona, orcamento");
    expect(words("Quero falar com um ATENDENTE!!")).toEqual(["quero", "falar", "com", "um", "atendente"]);
  });

  it.each([
    ["Quero falar com um atendente", "atendente", true],
    ["ATENDENTE, por favor", "atendente", true],
    ["uma pessoa de verdade", "pessoa", true],
    ["oi pessoal", "pessoa", false],
    ["desumano isso", "humano", false],
    ["o operador.", "operador", true],
    ["operadora de celular", "operador", false],
    ["meu boleto nao funciona", "não funciona", true],
    ["não  funciona", "nao funciona", true],
    ["nao, funciona", "nao funciona", true],
    ["funciona nao", "nao funciona", false],
    ["", "atendente", false],
    ["atendente", "", false],
    ["falar com o sr. José", "jose", true],
  ] as const)("%j contains %j: %s", (text, phrase, expected) => {
    expect(containsPhrase(text, phrase)).toBe(expected);
  });

  it("finds the first configured phrase", () => {
    expect(findPhrase("me passa pra um humano ou operador", DEFAULT_HANDOFF_KEYWORDS)).toBe("humano");
    expect(findPhrase("bom dia", DEFAULT_HANDOFF_KEYWORDS)).toBeUndefined();
  });
});

describe("TriggerPolicy", () => {
  it("fires once on a keyword, with the pt-BR defaults when none are configured", () => {
    const p = new TriggerPolicy({ enabled: true, keywords: [], maxAiTurns: 20 });
    expect(p.callerSaid("bom dia")).toBeNull();
    expect(p.callerSaid("quero uma Pessoa")).toEqual({ reason: "keyword_detected", keyword: "pessoa", text: "quero uma Pessoa" });
    expect(p.callerSaid("atendente!")).toBeNull();
    p.reset();
    expect(p.callerSaid("atendente!")).toMatchObject({ keyword: "atendente" });
  });

  it("uses the configured keywords only", () => {
    const p = new TriggerPolicy({ enabled: true, keywords: ["gerente", "falar com alguém"], maxAiTurns: 20 });
    expect(p.callerSaid("quero um atendente")).toBeNull();
    expect(p.callerSaid("quero FALAR com alguem")).toMatchObject({ keyword: "falar com alguém" });
  });

  it("fires at max AI turns", () => {
    const p = new TriggerPolicy({ enabled: true, keywords: [], maxAiTurns: 3 });
    expect(p.agentAnswered()).toBeNull();
    expect(p.agentAnswered()).toBeNull();
    expect(p.agentAnswered()).toEqual({ reason: "max_turns" });
    expect(p.agentAnswered()).toBeNull();
    expect(p.turns).toBe(4);
  });

  it("does nothing when handoff is disabled", () => {
    const p = new TriggerPolicy({ enabled: false, keywords: [], maxAiTurns: 1 });
    expect(p.callerSaid("atendente")).toBeNull();
    expect(p.agentAnswered()).toBeNull();
  });
});

const rule = (department: string, extension: string, phrases: string[], priority: number, context: string | null = "demo.local"): RuntimeTransferRule => ({
  department,
  phrases,
  priority,
  destination: { name: department, kind: "extension", extension, context },
});

describe("TransferRules", () => {
  const rules = new TransferRules(
    [
      rule("suporte", "201", ["suporte", "problema", "não funciona"], 1),
      rule("vendas", "200", ["vendas", "comprar", "orçamento"], 0),
      rule("financeiro", "202", ["boleto", "pagamento"], 2),
      rule("hostil", "200;uuid_kill", ["x"], 3),
      rule("ctx", "203", ["y"], 4, "bad context!"),
    ],
    "200",
  );

  it("offers the departments in priority order, leaving unsafe rows out", () => {
    expect(rules.departments()).toEqual(["vendas", "suporte", "financeiro"]);
  });

  it("matches phrases in the caller's words", () => {
    expect(rules.matchText("meu boleto venceu")).toMatchObject({ department: "financeiro", extension: "202", context: "demo.local" });
    expect(rules.matchText("queria um orcamento")).toMatchObject({ department: "vendas" });
    expect(rules.matchText("a internet nao funciona")).toMatchObject({ department: "suporte" });
    expect(rules.matchText("bom dia")).toBeUndefined();
  });

  it("resolves transfer_call: department, known extension, transcript, default", () => {
    expect(rules.resolve({ department: "Suporte" })).toMatchObject({ extension: "201" });
    expect(rules.resolve({ extension: "202" })).toMatchObject({ department: "financeiro" });
    expect(rules.resolve({ department: "inexistente" }, "problema com boleto")).toMatchObject({ department: "suporte" });
    expect(rules.resolve({})).toEqual({ department: null, extension: "200", context: null, kind: "extension" });
  });

  it("never resolves to an extension the secretary does not transfer to, nor to injected text", () => {
    for (const extension of ["9999", "200 XML default", "200\r\nuuid_kill", "${system(rm)}", "user/200 & user/201", "&bridge(sofia/x)"]) {
      const t = rules.resolve({ extension });
      expect(t?.extension).toBe("200");
    }
    expect(new TransferRules([], null).resolve({ extension: "201" })).toBeNull();
    expect(new TransferRules([], "20 0").defaultTarget()).toBeNull();
  });
});

describe("handoff tools", () => {
  it("transfer_call offers the departments as an enum", () => {
    const [transfer, message, end, hours] = handoffToolSpecs(["vendas", "suporte"]);
    expect(transfer).toMatchObject({
      name: "transfer_call",
      parameters: { type: "object", required: ["reason"], properties: { department: { type: "string", enum: ["vendas", "suporte"] } } },
    });
    expect(message).toMatchObject({ name: "take_message", parameters: { required: ["summary"], properties: { callback_number: { type: "string" } } } });
    expect(end).toMatchObject({ name: "end_call", parameters: { required: ["reason"] } });
    expect(hours).toMatchObject({ name: "check_business_hours", parameters: { type: "object", properties: {} } });
    expect(handoffToolSpecs([])[0]?.parameters).not.toHaveProperty("properties.department");
  });

  it("runs through the registry with arguments read defensively", async () => {
    const seen: unknown[] = [];
    const h: HandoffToolHandlers = {
      transferCall: (a) => (seen.push(a), { status: "transferring" }),
      takeMessage: (a) => (seen.push(a), { status: "ok" }),
      endCall: (a) => (seen.push(a), { status: "ending" }),
      checkBusinessHours: () => ({ open: true }),
    };
    const registry = new ToolRegistry(handoffTools(["vendas"], h));
    expect(registry.specs().map((s) => s.name)).toEqual(["transfer_call", "take_message", "end_call", "check_business_hours"]);
    await registry.run({ id: "1", name: "transfer_call", args: { department: " vendas ", reason: "quer comprar", extension: 42 } });
    await registry.run({ id: "2", name: "take_message", args: { summary: "x".repeat(5000), callback_number: "+55 11 99999-0000" } });
    await registry.run({ id: "3", name: "end_call", args: {} });
    expect(await registry.run({ id: "4", name: "check_business_hours", args: {} })).toEqual({ ok: true, result: { open: true } });
    expect(seen).toEqual([
      { department: "vendas", reason: "quer comprar" },
      { summary: "x".repeat(4000), callbackNumber: "+55 11 99999-0000" },
      { reason: "" },
    ]);
  });
});
