import { describe, expect, it } from "vitest";
import {
  TRANSFER_RESULT_GRACE_MS,
  initialHandoff,
  stepHandoff,
  type HandoffAction,
  type HandoffInput,
  type HandoffSettings,
  type HandoffState,
  type Trigger,
} from "../../../workers/handoff/decision.js";
import type { TransferTarget } from "../../../workers/handoff/transfer-rules.js";

const suporte: TransferTarget = { department: "suporte", extension: "201", context: "demo.local", kind: "extension" };
const timeouts = { transferMs: 30_000, presenceMs: 3_000, lineMs: 15_000 };
const settings = (over: Partial<HandoffSettings> = {}): HandoffSettings => ({
  open: true,
  presenceCheck: true,
  omniplay: true,
  ticketsEnabled: true,
  lines: {
    transferring: (t) => `Vou transferir para ${t.department ?? t.extension}.`,
    ticket: (p) => `Seu protocolo é ${p}. Até logo!`,
    sorry: "Desculpe, não consegui registrar. Até logo!",
    transferFailed: (t, why) => `A transferência para ${t.extension} falhou (${why}); ofereça anotar um recado.`,
    farewell: "Até logo!",
  },
  ...over,
});

/** Runs inputs in order; returns every action and the final state. */
function run(inputs: HandoffInput[], s: HandoffSettings = settings()): { state: HandoffState; actions: HandoffAction[] } {
  let state = initialHandoff();
  const actions: HandoffAction[] = [];
  for (const input of inputs) {
    const step = stepHandoff(state, input, s, timeouts);
    state = step.state;
    actions.push(...step.actions);
  }
  return { state, actions };
}
const trigger = (t: Trigger): HandoffInput => ({ type: "trigger", trigger: t });
const keyword = trigger({ kind: "transfer", reason: "keyword_detected", target: suporte });
const types = (actions: HandoffAction[]) => actions.map((a) => (a.type === "command" ? `command:${a.name}` : a.type));
const done = (actions: HandoffAction[]) => actions.find((a) => a.type === "done");

describe("handoff decision", () => {
  it("keyword, open, extension registered: line, then transfer after it played -> transferred", () => {
    const r = run([keyword, { type: "presence", registered: true }, { type: "played", lineId: "handoff-1" }, { type: "transfer_result", ok: true }]);
    expect(types(r.actions)).toEqual(["command:presence", "start_timer", "cancel_timer", "say", "start_timer", "stop_listening", "command:transfer", "start_timer", "cancel_timer", "done"]);
    expect(r.actions).toContainEqual({ type: "command", name: "presence", args: { extension: "201" } });
    expect(r.actions).toContainEqual({ type: "say", lineId: "handoff-1", text: "Vou transferir para suporte." });
    expect(r.actions).toContainEqual({ type: "command", name: "transfer", args: { destination: "201", context: "demo.local", timeoutSeconds: "30" } });
    expect(done(r.actions)).toEqual({ type: "done", outcome: "transferred", reason: "keyword_detected" });
    expect(r.state.phase).toBe("done");
  });

  it("several OmniPlay agents online: they ring at once (destinations), in the call's own domain, supervised like any transfer", () => {
    const r = run([keyword, { type: "presence", registered: false }, { type: "agents", extensions: ["205", "206", "207"] }, { type: "played", lineId: "handoff-1" }]);
    expect(r.actions).toContainEqual({ type: "command", name: "transfer", args: { destinations: "205,206,207", timeoutSeconds: "30" } });
    expect(r.state.target).toMatchObject({ extension: "205", kind: "agent", ringAll: ["205", "206", "207"] });
    const busy = stepHandoff(r.state, { type: "transfer_result", ok: false, error: "TRANSFER_NO_ANSWER" }, settings(), timeouts);
    expect(busy.actions.at(-1)).toEqual({ type: "return_to_ai", context: "A transferência para 205 falhou (no_answer); ofereça anotar um recado." });
  });

  it("a ring group or a queue is not presence-checked (it has no registration): straight to the line and the supervised transfer", () => {
    for (const kind of ["ring_group", "queue"]) {
      const r = run([trigger({ kind: "transfer", reason: "keyword_detected", target: { ...suporte, extension: "9100", kind } })]);
      expect(types(r.actions)).toEqual(["say", "start_timer"]);
      expect(r.state.phase).toBe("announcing");
    }
  });

  it("extension not registered, OmniPlay agents online: transfer to the agent's extension", () => {
    const r = run([keyword, { type: "presence", registered: false }, { type: "agents", extensions: ["205"] }, { type: "played", lineId: "handoff-1" }, { type: "transfer_result", ok: true }]);
    expect(r.actions).toContainEqual({ type: "fetch_agents" });
    expect(r.actions).toContainEqual({ type: "command", name: "transfer", args: { destination: "205", context: "demo.local", timeoutSeconds: "30" } });
    expect(done(r.actions)).toMatchObject({ outcome: "transferred" });
  });

  it("nobody there: summary, ticket, protocol line, hangup only after it played -> ticket_created", () => {
    const r = run([keyword, { type: "presence", registered: false }, { type: "agents", extensions: [] }, { type: "summary", text: "Cliente sem internet." }, { type: "ticket", ticketId: "T-1", protocol: "20261123" }]);
    expect(types(r.actions)).toEqual(["command:presence", "start_timer", "cancel_timer", "fetch_agents", "stop_listening", "summarize", "create_ticket", "stop_listening", "say", "start_timer"]);
    expect(r.actions).toContainEqual({ type: "create_ticket", summary: "Cliente sem internet.", reason: "keyword_detected" });
    expect(r.actions).toContainEqual({ type: "say", lineId: "handoff-1", text: "Seu protocolo é 20261123. Até logo!" });
    const after = stepHandoff(r.state, { type: "played", lineId: "handoff-1" }, settings(), timeouts);
    expect(types(after.actions)).toEqual(["cancel_timer", "command:hangup", "done"]);
    expect(done(after.actions)).toEqual({ type: "done", outcome: "ticket_created", reason: "keyword_detected", ticketId: "T-1" });
  });

  it("after hours: straight to a ticket, reason after_hours, no presence asked", () => {
    const r = run([trigger({ kind: "transfer", reason: "user_request", target: suporte })], settings({ open: false }));
    expect(types(r.actions)).toEqual(["stop_listening", "summarize"]);
    expect(r.state.reason).toBe("after_hours");
  });

  it("max turns follows the same path with its own reason", () => {
    const r = run([trigger({ kind: "transfer", reason: "max_turns", target: suporte }), { type: "presence", registered: true }]);
    expect(r.state).toMatchObject({ phase: "announcing", reason: "max_turns" });
  });

  it("presence check off: no presence asked", () => {
    const r = run([keyword], settings({ presenceCheck: false }));
    expect(types(r.actions)).toEqual(["say", "start_timer"]);
  });

  it("presence that never answers counts as not registered", () => {
    const r = run([keyword, { type: "timeout" }]);
    expect(r.state.phase).toBe("agents");
  });

  it("a line whose playback is never reported does not stall the handoff", () => {
    const r = run([keyword, { type: "presence", registered: true }, { type: "timeout" }]);
    expect(r.state.phase).toBe("transferring");
  });

  it("while the transfer rings the AI is muted, and the cloud waits past handoff_timeout for the relay's word", () => {
    const r = run([keyword, { type: "presence", registered: true }, { type: "played", lineId: "handoff-1" }]);
    expect(r.actions.slice(-3)).toEqual([
      { type: "stop_listening" },
      { type: "command", name: "transfer", args: { destination: "201", context: "demo.local", timeoutSeconds: "30" } },
      { type: "start_timer", ms: 30_000 + TRANSFER_RESULT_GRACE_MS },
    ]);
  });

  it("transfer busy, unanswered, refused or never confirmed: back to the AI with the matching context; the next request becomes a message", () => {
    const cases: [HandoffInput, string][] = [
      [{ type: "transfer_result", ok: false, error: "TRANSFER_BUSY" }, "busy"],
      [{ type: "transfer_result", ok: false, error: "TRANSFER_NO_ANSWER" }, "no_answer"],
      [{ type: "transfer_result", ok: false, error: "ESL_REFUSED" }, "failed"],
      [{ type: "timeout" }, "failed"],
    ];
    for (const [failure, why] of cases) {
      const r = run([keyword, { type: "presence", registered: true }, { type: "played", lineId: "handoff-1" }, failure]);
      expect(r.actions.at(-1)).toEqual({ type: "return_to_ai", context: `A transferência para 201 falhou (${why}); ofereça anotar um recado.` });
      expect(r.state).toMatchObject({ phase: "idle", transferFailed: true });
      const again = stepHandoff(r.state, keyword, settings(), timeouts);
      expect(types(again.actions)).toEqual(["stop_listening", "summarize"]);
    }
  });

  it("take_message with the model's summary and callback number", () => {
    const r = run([trigger({ kind: "message", reason: "user_request", summary: "Ligar amanhã.", callbackNumber: "+5511999990000" }), { type: "summary", text: "Ligar amanhã." }]);
    expect(r.actions).toContainEqual({ type: "summarize", given: "Ligar amanhã." });
    expect(r.actions).toContainEqual({ type: "create_ticket", summary: "Ligar amanhã.", reason: "user_request", callbackNumber: "+5511999990000" });
  });

  it("OmniPlay down: the caller still hears a goodbye, the call hangs up, and the outcome says why", () => {
    const r = run([keyword, { type: "presence", registered: false }, { type: "agents", extensions: [] }, { type: "summary", text: "s" }, { type: "ticket_failed", error: "omniplay 503" }, { type: "played", lineId: "handoff-1" }]);
    expect(r.actions).toContainEqual({ type: "say", lineId: "handoff-1", text: "Desculpe, não consegui registrar. Até logo!" });
    expect(done(r.actions)).toEqual({ type: "done", outcome: "failed", reason: "keyword_detected", error: "omniplay 503" });
    expect(r.actions).toContainEqual({ type: "command", name: "hangup", args: {} });
  });

  it("no OmniPlay configured and nobody there: goodbye, not silence", () => {
    const r = run([keyword, { type: "presence", registered: false }, { type: "timeout" }], settings({ omniplay: false }));
    expect(types(r.actions)).toEqual(["command:presence", "start_timer", "cancel_timer", "stop_listening", "say", "start_timer", "cancel_timer", "command:hangup", "done"]);
    expect(done(r.actions)).toMatchObject({ outcome: "failed", error: "tickets are not available" });
  });

  it("nowhere to transfer to: a message instead", () => {
    const r = run([trigger({ kind: "transfer", reason: "user_request", target: null })]);
    expect(r.state.phase).toBe("summarizing");
  });

  it("end_call: farewell, hangup after it played, outcome completed", () => {
    const r = run([trigger({ kind: "end", reason: "done" }), { type: "played", lineId: "handoff-1" }]);
    expect(types(r.actions)).toEqual(["stop_listening", "say", "start_timer", "cancel_timer", "command:hangup", "done"]);
    expect(done(r.actions)).toEqual({ type: "done", outcome: "completed", reason: null });
  });

  it("ignores late and out-of-phase inputs, and a second trigger while one runs", () => {
    const r = run([keyword, keyword, { type: "played", lineId: "handoff-9" }, { type: "transfer_result", ok: true }, { type: "ticket", ticketId: "x", protocol: "1" }]);
    expect(types(r.actions)).toEqual(["command:presence", "start_timer"]);
    expect(r.state.phase).toBe("presence");
  });
});
