/**
 * The handoff of one call as a pure state machine: inputs (a trigger, the
 * relay's presence answer, OmniPlay's online agents, playback finished, the
 * transfer's result or its timeout, the summary, the ticket) in, actions
 * (say a line, send a relay command, fetch agents, summarize, create the
 * ticket, hang up, give the caller back to the AI) out. The CallSession does
 * the I/O and feeds the answers back; nothing here waits or reads a clock,
 * so every path is a plain test.
 *
 * The rule (issue 5): in business hours with someone available (the target
 * extension registered, or OmniPlay agents online) the agent says a short
 * line and the relay transfers; the AI stops listening -> `transferred`.
 * Otherwise a summary is made, the ticket created, the agent reads the
 * protocol number and says goodbye, and the call hangs up once that
 * playback has finished -> `ticket_created`. The relay supervises the
 * transfer (`timeoutSeconds`): it answers once someone picked up, or takes
 * the caller back when the target is busy or nobody answered within
 * `handoff_timeout`; a refused or unanswered transfer gives the caller back to
 * the AI with the context, and the AI offers to take a message. A caller is
 * never left in silence: every failure ends in a spoken goodbye.
 */
import type { TransferTarget } from "./transfer-rules.js";

/** Why a transfer gave the caller back: the relay's codes, grouped. */
export type TransferFailure = "busy" | "no_answer" | "failed";

export type HandoffReason = "keyword_detected" | "max_turns" | "user_request" | "after_hours" | "provider_failure";
export type HandoffOutcome = "transferred" | "ticket_created" | "failed" | "completed";

export interface HandoffLines {
  transferring(target: TransferTarget): string;
  /** Protocol number read digit by digit, then goodbye. */
  ticket(protocol: string): string;
  /** Nothing worked (no ticket either): apologise and say goodbye. */
  sorry: string;
  /** Context for the model after a failed transfer (busy, nobody answered, or it could not be done). */
  transferFailed(target: TransferTarget, why: TransferFailure): string;
  farewell: string;
}

export interface HandoffSettings {
  /** Business hours now (evaluated by the caller with business-hours.ts). */
  open: boolean;
  presenceCheck: boolean;
  /** OmniPlay is configured: agents can be asked for and tickets created. */
  omniplay: boolean;
  ticketsEnabled: boolean;
  lines: HandoffLines;
}

export type Trigger =
  | { kind: "transfer"; reason: HandoffReason; target: TransferTarget | null }
  | { kind: "message"; reason: HandoffReason; summary?: string; callbackNumber?: string }
  | { kind: "end"; reason: string };

export type HandoffInput =
  | { type: "trigger"; trigger: Trigger }
  | { type: "presence"; registered: boolean }
  /** OmniPlay's online agents we may transfer to, in its order (empty: nobody); more than one ring at once. */
  | { type: "agents"; extensions: string[] }
  | { type: "played"; lineId: string }
  | { type: "transfer_result"; ok: boolean; error?: string }
  | { type: "timeout" }
  | { type: "summary"; text: string }
  | { type: "ticket"; ticketId: string; protocol: string }
  | { type: "ticket_failed"; error: string };

export type HandoffAction =
  | { type: "say"; lineId: string; text: string }
  | { type: "command"; name: "presence"; args: { extension: string } }
  | { type: "command"; name: "transfer"; args: { destination: string; context?: string; timeoutSeconds: string } | { destinations: string; timeoutSeconds: string } }
  | { type: "command"; name: "hangup"; args: Record<string, never> }
  | { type: "fetch_agents" }
  | { type: "summarize"; given?: string }
  | { type: "create_ticket"; summary: string; reason: HandoffReason; callbackNumber?: string }
  /** The AI stops hearing the caller (a transfer rings, a person takes over, or the call is ending). */
  | { type: "stop_listening" }
  /** The AI hears the caller again and says `context` (after a failed transfer). */
  | { type: "return_to_ai"; context: string }
  /** Arm the one timer of the handoff (replaces a running one); `timeout` comes back when it fires. */
  | { type: "start_timer"; ms: number }
  | { type: "cancel_timer" }
  | { type: "done"; outcome: HandoffOutcome; reason: HandoffReason | null; ticketId?: string; error?: string };

export type HandoffPhase =
  | "idle"
  | "presence"
  | "agents"
  | "announcing"
  | "transferring"
  | "summarizing"
  | "ticketing"
  | "goodbye"
  | "done";

export interface HandoffState {
  phase: HandoffPhase;
  reason: HandoffReason | null;
  target: TransferTarget | null;
  /** A transfer already failed on this call: the next request becomes a message. */
  transferFailed: boolean;
  callbackNumber?: string;
  lineId?: string;
  lines: number;
  outcome?: HandoffOutcome;
  ticketId?: string;
  error?: string;
}

/**
 * How much longer than handoff_timeout the cloud waits for the relay's word on
 * a transfer: the relay itself gives up ringing at handoff_timeout, so this
 * only covers a relay that went silent.
 */
export const TRANSFER_RESULT_GRACE_MS = 10_000;

export interface Timeouts {
  /** The secretary's handoff_timeout: how long the transfer may ring before the relay takes the caller back. */
  transferMs: number;
  /** Defaults to {@link TRANSFER_RESULT_GRACE_MS}. */
  transferGraceMs?: number;
  presenceMs: number;
  /** How long a line may take to play before we act anyway (the relay never said `played`). */
  lineMs: number;
}

export const initialHandoff = (): HandoffState => ({ phase: "idle", reason: null, target: null, transferFailed: false, lines: 0 });

export interface Step {
  state: HandoffState;
  actions: HandoffAction[];
}

/** One input, the next state and what to do. Inputs that do not fit the phase are ignored (late answers). */
export function stepHandoff(s: HandoffState, input: HandoffInput, settings: HandoffSettings, timeouts: Timeouts): Step {
  const say = (st: HandoffState, text: string): [HandoffState, HandoffAction[]] => {
    const lineId = `handoff-${st.lines + 1}`;
    return [{ ...st, lineId, lines: st.lines + 1 }, [{ type: "say", lineId, text }, { type: "start_timer", ms: timeouts.lineMs }]];
  };
  const toTicket = (st: HandoffState, given?: string): Step => {
    if (!settings.omniplay || !settings.ticketsEnabled) return goodbye(st, settings.lines.sorry, "failed", "tickets are not available");
    return { state: { ...st, phase: "summarizing" }, actions: [{ type: "stop_listening" }, { type: "summarize", ...(given ? { given } : {}) }] };
  };
  const goodbye = (st: HandoffState, text: string, outcome: HandoffOutcome, error?: string): Step => {
    const [next, actions] = say({ ...st, phase: "goodbye", outcome, ...(error ? { error } : {}) }, text);
    return { state: next, actions: [{ type: "stop_listening" }, ...actions] };
  };
  const tryTransfer = (st: HandoffState, target: TransferTarget): Step => {
    const [next, actions] = say({ ...st, phase: "announcing", target }, settings.lines.transferring(target));
    return { state: next, actions };
  };
  const noOneThere = (st: HandoffState): Step => (settings.omniplay ? { state: { ...st, phase: "agents" }, actions: [{ type: "fetch_agents" }] } : toTicket(st));

  switch (input.type) {
    case "trigger": {
      if (s.phase !== "idle") return { state: s, actions: [] }; // one handoff at a time
      const t = input.trigger;
      if (t.kind === "end") return goodbye({ ...s, reason: null }, settings.lines.farewell, "completed");
      if (t.kind === "message") return toTicket({ ...s, reason: t.reason, ...(t.callbackNumber ? { callbackNumber: t.callbackNumber } : {}) }, t.summary);
      if (!settings.open) return toTicket({ ...s, reason: "after_hours" });
      if (s.transferFailed || !t.target) return toTicket({ ...s, reason: t.reason });
      const st = { ...s, reason: t.reason, target: t.target };
      // Presence is a user's registration: a ring group or a queue has none (the supervised transfer tells whether anyone answered).
      if (!settings.presenceCheck || t.target.kind !== "extension") return tryTransfer(st, t.target);
      return {
        state: { ...st, phase: "presence" },
        actions: [{ type: "command", name: "presence", args: { extension: t.target.extension } }, { type: "start_timer", ms: timeouts.presenceMs }],
      };
    }
    case "presence":
      if (s.phase !== "presence" || !s.target) return { state: s, actions: [] };
      if (input.registered) {
        const step = tryTransfer(s, s.target);
        return { state: step.state, actions: [{ type: "cancel_timer" }, ...step.actions] };
      }
      return withCancel(noOneThere(s));
    case "agents": {
      if (s.phase !== "agents") return { state: s, actions: [] };
      const [first, ...others] = input.extensions;
      if (!first) return toTicket(s);
      const target: TransferTarget = { department: s.target?.department ?? null, extension: first, context: s.target?.context ?? null, kind: "agent" };
      return tryTransfer(s, others.length > 0 ? { ...target, ringAll: input.extensions } : target);
    }
    case "played":
      if (input.lineId !== s.lineId) return { state: s, actions: [] };
      return afterLine(s);
    case "timeout":
      if (s.phase === "presence") return noOneThere(s);
      if (s.phase === "transferring") return backToAi(s, "timeout", "failed");
      if (s.phase === "announcing" || s.phase === "goodbye") return afterLine(s);
      return { state: s, actions: [] };
    case "transfer_result":
      if (s.phase !== "transferring") return { state: s, actions: [] };
      if (input.ok) {
        return {
          state: { ...s, phase: "done", outcome: "transferred" },
          actions: [{ type: "cancel_timer" }, { type: "done", outcome: "transferred", reason: s.reason }],
        };
      }
      return withCancel(backToAi(s, input.error ?? "refused", failureOf(input.error)));
    case "summary":
      if (s.phase !== "summarizing" || !s.reason) return { state: s, actions: [] };
      return {
        state: { ...s, phase: "ticketing" },
        actions: [{ type: "create_ticket", summary: input.text, reason: s.reason, ...(s.callbackNumber ? { callbackNumber: s.callbackNumber } : {}) }],
      };
    case "ticket":
      if (s.phase !== "ticketing") return { state: s, actions: [] };
      return goodbye({ ...s, ticketId: input.ticketId }, settings.lines.ticket(input.protocol), "ticket_created");
    case "ticket_failed":
      if (s.phase !== "ticketing") return { state: s, actions: [] };
      return goodbye(s, settings.lines.sorry, "failed", input.error);
  }

  function afterLine(st: HandoffState): Step {
    if (st.phase === "announcing" && st.target) {
      const timeoutSeconds = String(Math.round(timeouts.transferMs / 1000));
      const t = st.target;
      const args = t.ringAll ? { destinations: t.ringAll.join(","), timeoutSeconds } : { destination: t.extension, ...(t.context ? { context: t.context } : {}), timeoutSeconds };
      return {
        state: { ...st, phase: "transferring", lineId: undefined },
        // While it rings the AI is muted: the caller hears ringback, and a "hello?" must not start an answer.
        actions: [{ type: "stop_listening" }, { type: "command", name: "transfer", args }, { type: "start_timer", ms: timeouts.transferMs + (timeouts.transferGraceMs ?? TRANSFER_RESULT_GRACE_MS) }],
      };
    }
    if (st.phase === "goodbye") {
      const outcome = st.outcome ?? "completed";
      return {
        state: { ...st, phase: "done", lineId: undefined },
        actions: [
          { type: "cancel_timer" },
          { type: "command", name: "hangup", args: {} },
          { type: "done", outcome, reason: st.reason, ...(st.ticketId ? { ticketId: st.ticketId } : {}), ...(st.error ? { error: st.error } : {}) },
        ],
      };
    }
    return { state: st, actions: [] };
  }

  function backToAi(st: HandoffState, why: string, failure: TransferFailure): Step {
    const target = st.target;
    return {
      state: { ...st, phase: "idle", transferFailed: true, error: `transfer ${why}` },
      actions: [{ type: "return_to_ai", context: target ? settings.lines.transferFailed(target, failure) : settings.lines.sorry }],
    };
  }
}

/** The relay's error code for a transfer, as what the caller is told. */
function failureOf(code: string | undefined): TransferFailure {
  if (code === "TRANSFER_BUSY") return "busy";
  if (code === "TRANSFER_NO_ANSWER") return "no_answer";
  return "failed";
}

function withCancel(step: Step): Step {
  return { state: step.state, actions: [{ type: "cancel_timer" }, ...step.actions] };
}
