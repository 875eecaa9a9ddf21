import { describe, expect, it } from "vitest";
import type { ControlInput } from "../../../shared/link/index.js";
import { conversationCreate } from "../../../workers/api/schemas/conversation.js";
import { handoffLines, spelled } from "../../../workers/handoff/handoff-plan.js";
import { handoffFields } from "../../../workers/handoff/record-fields.js";
import { LineMarks, RelayCommands } from "../../../workers/handoff/relay-links.js";
import { collectText, fallbackSummary, summaryMessages, ticketRequest } from "../../../workers/handoff/ticket-body.js";

const CALL = "11111111-2222-4333-8444-555555555555";

describe("RelayCommands", () => {
  it("sends a typed command and resolves it with its command.result", async () => {
    const sent: ControlInput[] = [];
    const c = new RelayCommands(CALL, (x) => sent.push(x));
    const p = c.send("presence", { extension: "201" });
    expect(sent).toEqual([{ type: "command", id: "handoff-presence-1", callId: CALL, name: "presence", args: { extension: "201" } }]);
    expect(c.result({ type: "command.result", id: "other", callId: CALL, ok: true })).toBe(false);
    expect(c.result({ type: "command.result", id: "handoff-presence-1", callId: CALL, ok: true, result: { registered: true } })).toBe(true);
    expect(await p).toEqual({ ok: true, result: { registered: true } });
  });

  it("fails a command never answered, and every open one when the call ends", async () => {
    const c = new RelayCommands(CALL, () => undefined, 20);
    expect(await c.send("transfer", { destination: "200" })).toMatchObject({ ok: false, error: { code: "NO_RESULT" } });
    const open = c.send("hangup", {});
    c.cancel();
    expect(await open).toMatchObject({ ok: false, error: { code: "CALL_ENDED" } });
  });
});

describe("LineMarks", () => {
  it("releases the mark only after the line's response is done and its audio has left", () => {
    const m = new LineMarks(CALL);
    m.agentAudio("resp-before"); // an earlier answer is not the line
    m.delivered("handoff-1");
    expect(m.due(true)).toEqual([]);
    m.agentAudio("resp-1");
    m.responseDone("resp-before");
    expect(m.due(true)).toEqual([]);
    m.responseDone("resp-1");
    expect(m.due(false)).toEqual([]); // audio still queued
    expect(m.due(true)).toEqual([{ type: "playback.mark", callId: CALL, mark: "handoff-1" }]);
    expect(m.due(true)).toEqual([]);
    expect(m.played({ type: "playback.event", callId: CALL, event: "finished" })).toBeUndefined();
    expect(m.played({ type: "playback.event", callId: CALL, event: "mark", mark: "handoff-2" })).toBeUndefined();
    expect(m.played({ type: "playback.event", callId: CALL, event: "mark", mark: "handoff-1" })).toBe("handoff-1");
    expect(m.played({ type: "playback.event", callId: CALL, event: "mark", mark: "handoff-1" })).toBeUndefined();
  });
});

describe("ticket body and summary", () => {
  const conv = {
    callId: CALL,
    secretaryId: null,
    caller: "+5511999990000",
    startedAt: "2026-11-23T13:00:00.000Z",
    endedAt: "2026-11-23T13:01:00.000Z",
    durationSeconds: 60,
    turns: 2,
    avgLatencyMs: 700,
    transcript: [
      { role: "agent" as const, text: "Olá!", timestamp: "2026-11-23T13:00:01.000Z" },
      { role: "caller" as const, text: "Quero um atendente.", timestamp: "2026-11-23T13:00:05.000Z" },
    ],
    outcome: "completed" as const,
    provider: "openai-realtime:gpt-realtime",
  };

  it("has exactly the issue's fields, from the conversation record", () => {
    const t = ticketRequest(conv, { summary: "Quer um atendente.", reason: "keyword_detected", language: "pt-BR", queueId: "1", secretaryId: "s-1", callbackNumber: "+5511988887777" });
    expect(t).toEqual({
      call_uuid: CALL,
      caller_id: "+5511999990000",
      transcript: conv.transcript,
      summary: "Quer um atendente.\nRetorno: +5511988887777",
      provider: "openai-realtime:gpt-realtime",
      language: "pt-BR",
      duration_seconds: 60,
      turns: 2,
      avg_latency_ms: 700,
      handoff_reason: "keyword_detected",
      queue_id: "1",
      secretary_uuid: "s-1",
      attach_recording: false,
      conversation_id: null,
    });
  });

  it("falls back to the caller's words, or the model's own summary", () => {
    expect(fallbackSummary(conv.transcript)).toBe("Quero um atendente.");
    expect(fallbackSummary(conv.transcript, " dado pelo modelo ")).toBe("dado pelo modelo");
    expect(fallbackSummary([])).toMatch(/sem fala/);
    expect(summaryMessages(conv.transcript, "pt-BR")[1]?.content).toBe("Agente: Olá!\nCliente: Quero um atendente.");
  });

  it("collects a streamed answer", async () => {
    async function* parts() {
      yield { text: "Cliente quer " };
      yield {};
      yield { text: "um atendente." };
    }
    expect(await collectText(parts())).toBe("Cliente quer um atendente.");
  });
});

describe("handoff lines", () => {
  it("read the protocol digit by digit, with the secretary's farewell", () => {
    expect(spelled("48 210")).toBe("4 8 2 1 0");
    const pt = handoffLines({ language: "pt-BR", farewell: "Até mais!" });
    expect(pt.ticket("48210")).toBe("Registrei seu recado. O número do protocolo é 4 8 2 1 0. Repetindo: 4 8 2 1 0. Até mais!");
    expect(pt.transferring({ department: "suporte", extension: "201", context: null, kind: "extension" })).toMatch(/suporte/);
    expect(handoffLines({ language: "en-US", farewell: null }).farewell).toBe("Thank you for calling. Goodbye!");
  });

  it("a failed transfer is told in the secretary's language, busy apart from unanswered, and always offers a message", () => {
    const suporte = { department: "suporte", extension: "201", context: null, kind: "extension" as const };
    const anyone = { ...suporte, department: null };
    const pt = handoffLines({ language: "pt-BR", farewell: null });
    expect(pt.transferFailed(suporte, "busy")).toBe("O setor suporte está ocupado no momento. Posso anotar um recado para retornarem a ligação?");
    expect(pt.transferFailed(anyone, "no_answer")).toBe("Ninguém atendeu agora. Posso anotar um recado para retornarem a ligação?");
    expect(pt.transferFailed(anyone, "failed")).toMatch(/^Não consegui completar a transferência agora\. Posso anotar um recado/);
    const en = handoffLines({ language: "en-US", farewell: null });
    expect(en.transferFailed(suporte, "no_answer")).toBe("Nobody in suporte answered just now. May I take a message so they can call you back?");
    expect(en.transferFailed(anyone, "busy")).toBe("Everyone is busy right now. May I take a message so they can call you back?");
  });
});

describe("handoffFields (the conversation record's part)", () => {
  it("takes only what a handoff set, and only known values", () => {
    const none = { ticketId: null, reason: null, outcome: null, summary: null, error: null, durationMs: null };
    expect(handoffFields(none)).toEqual({});
    expect(handoffFields({ ...none, reason: "after_hours", outcome: "ticket_created", ticketId: "48210", summary: "Resumo" })).toEqual({
      handoffReason: "after_hours",
      outcome: "ticket_created",
      ticketId: "48210",
      summary: "Resumo",
    });
    expect(handoffFields({ ...none, reason: "whatever", outcome: "exploded" })).toEqual({});
  });

  it("keeps the duration (whole ms, only a plausible one) and the error (one printable line, at most 500 characters), so the record always validates", () => {
    const none = { ticketId: null, reason: null, outcome: null, summary: null, error: null, durationMs: null };
    const failed = { ...none, reason: "user_request", outcome: "failed" };
    expect(handoffFields({ ...failed, durationMs: 1234.6, error: "omniplay HTTP 503" })).toEqual({
      handoffReason: "user_request",
      outcome: "failed",
      handoffDurationMs: 1235,
      handoffError: "omniplay HTTP 503",
    });
    expect(handoffFields({ ...none, durationMs: 0 })).toEqual({ handoffDurationMs: 0 });
    for (const durationMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 86_400_001]) expect(handoffFields({ ...none, durationMs })).toEqual({});
    expect(handoffFields({ ...none, error: "transfer\r\nbusy\u0000 " })).toEqual({ handoffError: "transfer busy" });
    expect(handoffFields({ ...none, error: "\n\t" })).toEqual({});
    const long = handoffFields({ ...none, error: `${"x".repeat(499)}\u{1F4DE}tail` }).handoffError!;
    expect(long).toBe("x".repeat(499)); // not half of the emoji
    expect(handoffFields({ ...none, error: "e".repeat(2000) }).handoffError).toHaveLength(500);
    const record = { callId: CALL, startedAt: "2026-11-21T10:00:00Z", ...handoffFields({ ...failed, durationMs: 86_400_000, error: `\u0007${"é".repeat(600)}` }) };
    expect(conversationCreate.safeParse(record).success).toBe(true);
    // The ticket id is OmniPlay's: whatever it sent, the record still validates.
    const ticketed = { callId: CALL, startedAt: "2026-11-21T10:00:00Z", ...handoffFields({ ...none, ticketId: `48210\r\n${"9".repeat(100)}` }) };
    expect(ticketed.ticketId).toBe(`48210 ${"9".repeat(58)}`);
    expect(conversationCreate.safeParse(ticketed).success).toBe(true);
  });
});
