/**
 * Runs the handoff of one call: the pure decision (decision.ts) driven by
 * what happens on the call, its actions carried out through ports the
 * CallSession provides (speak, relay commands, OmniPlay, the summary, the
 * record). The policy triggers (keywords, max turns) and the tools the
 * provider is offered feed it; everything else is I/O at the edge.
 *
 * A tool call that starts a handoff gets its answer when the system first
 * has something to say: the line goes back to the model as the tool's
 * result (the vendor answers a tool result by speaking, so a separate
 * `say` would talk over it). If nothing is ready within `toolHoldMs` the
 * model is told to ask the caller to hold, so it never looks stalled.
 */
import { MAX_TRANSFER_DESTINATIONS } from "../../shared/link/index.js";
import type { Tool } from "../providers/tools.js";
import { evaluateBusinessHours } from "./business-hours.js";
import type { BusinessHours } from "../api/schemas/time-conditions.js";
import { initialHandoff, stepHandoff, type HandoffAction, type HandoffInput, type HandoffOutcome, type HandoffReason, type HandoffSettings, type HandoffState, type Timeouts, type Trigger } from "./decision.js";
import { OmniplayError, type OmniplayClient, type OnlineAgents, type TicketRequest, type TicketStore } from "./omniplay.js";
import { handoffTools, type TransferCallArgs } from "./tools.js";
import type { TransferRules } from "./transfer-rules.js";
import type { TriggerPolicy } from "./triggers.js";

export interface CommandOutcome {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface HandoffResult {
  outcome: HandoffOutcome;
  reason: HandoffReason | null;
  ticketId?: string;
  summary?: string;
  error?: string;
  durationMs: number;
}

export interface HandoffPorts {
  now(): number;
  /**
   * Speak `text` as the agent. `toolResult` is set when a tool call is waiting for its
   * answer: deliver the line through it. Call `controller.played(lineId)` once the relay
   * has played it (playback mark).
   */
  speak(lineId: string, text: string, toolResult?: (result: unknown) => void): void;
  /** A relay command; a transfer's result comes once it was answered or gave up (up to handoff_timeout). */
  command(name: "presence" | "transfer" | "hangup", args: Record<string, string>): Promise<CommandOutcome>;
  /** The AI stops hearing the caller. */
  stopListening(): void;
  /** The AI hears the caller again (a transfer gave the caller back). */
  resumeListening(): void;
  /** Back to the AI after a failed transfer: the context as a line the agent says. */
  returnToAi(context: string): void;
  summarize(given?: string): Promise<string>;
  omniplay: OmniplayClient | null;
  ticketRequest(summary: string, reason: HandoffReason, callbackNumber?: string): TicketRequest;
  ticketStore: TicketStore;
  finished(result: HandoffResult): void;
  log(level: "info" | "warn", event: string, fields: Record<string, unknown>): void;
}

export interface HandoffConfig {
  businessHours: BusinessHours | null;
  presenceCheck: boolean;
  ticketsEnabled: boolean;
  lines: HandoffSettings["lines"];
  timeouts: Timeouts;
  toolHoldMs?: number;
}

export class HandoffController {
  private state: HandoffState = initialHandoff();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pendingTool: { resolve: (r: unknown) => void; hold: ReturnType<typeof setTimeout> } | undefined;
  private startedAt: number | undefined;
  private summary: string | undefined;
  private lastCallerText = "";
  readonly tools: Tool[];

  constructor(
    private readonly config: HandoffConfig,
    private readonly rules: TransferRules,
    private readonly triggers: TriggerPolicy,
    private readonly ports: HandoffPorts,
  ) {
    this.tools = handoffTools(rules.departments(), {
      transferCall: (a) => this.fromTool({ kind: "transfer", reason: "user_request", target: this.targetOf(a) }),
      takeMessage: (a) => this.fromTool({ kind: "message", reason: "user_request", summary: a.summary, ...(a.callbackNumber ? { callbackNumber: a.callbackNumber } : {}) }),
      endCall: (a) => this.fromTool({ kind: "end", reason: a.reason }),
      checkBusinessHours: () => {
        const v = evaluateBusinessHours(this.config.businessHours, this.ports.now());
        return { open: v.open, localTime: v.local, timeZone: v.timeZone, ...(v.holiday ? { holiday: v.holiday } : {}) };
      },
    });
  }

  get phase(): HandoffState["phase"] {
    return this.state.phase;
  }

  /** The caller's final transcript: keywords, and the words that pick a department. */
  callerSaid(text: string): void {
    this.lastCallerText = text;
    if (this.state.phase !== "idle") return;
    const t = this.triggers.callerSaid(text);
    if (t) this.trigger({ kind: "transfer", reason: t.reason, target: this.rules.matchText(text) ?? this.rules.defaultTarget() });
  }

  /** The agent finished an answer: counts toward max turns. */
  agentAnswered(): void {
    if (this.state.phase !== "idle") return;
    const t = this.triggers.agentAnswered();
    if (t) this.trigger({ kind: "transfer", reason: t.reason, target: this.rules.matchText(this.lastCallerText) ?? this.rules.defaultTarget() });
  }

  /** No provider left: hand the caller to a person, or take the message. */
  providerFailed(): void {
    this.trigger({ kind: "transfer", reason: "provider_failure", target: this.rules.defaultTarget() });
  }

  /** The relay played line `lineId`. */
  played(lineId: string): void {
    this.feed({ type: "played", lineId });
  }

  trigger(trigger: Trigger): void {
    this.feed({ type: "trigger", trigger });
  }

  /** The call ended under us (hangup): nothing more to do. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.pendingTool) clearTimeout(this.pendingTool.hold);
    this.pendingTool?.resolve({ status: "call_ended" });
    this.pendingTool = undefined;
  }

  private targetOf(a: TransferCallArgs) {
    return this.rules.resolve(a, this.lastCallerText);
  }

  private fromTool(trigger: Trigger): Promise<unknown> | unknown {
    if (this.state.phase !== "idle") return { status: "busy", note: "A handoff is already in progress; say nothing." };
    return new Promise((resolve) => {
      const hold = setTimeout(() => {
        this.pendingTool = undefined;
        resolve({ status: "in_progress", say_exactly: "Um momento, por favor." });
      }, this.config.toolHoldMs ?? 2500);
      this.pendingTool = { resolve, hold };
      this.trigger(trigger);
      // A trigger that speaks nothing at once (a presence check, a ticket) leaves the tool waiting for its line.
    });
  }

  private feed(input: HandoffInput): void {
    const settings: HandoffSettings = {
      open: evaluateBusinessHours(this.config.businessHours, this.ports.now()).open,
      presenceCheck: this.config.presenceCheck,
      omniplay: this.ports.omniplay !== null,
      ticketsEnabled: this.config.ticketsEnabled,
      lines: this.config.lines,
    };
    if (input.type === "trigger" && this.state.phase === "idle") this.startedAt = this.ports.now();
    const step = stepHandoff(this.state, input, settings, this.config.timeouts);
    this.state = step.state;
    for (const action of step.actions) this.act(action);
  }

  private act(a: HandoffAction): void {
    const p = this.ports;
    switch (a.type) {
      case "say": {
        const tool = this.pendingTool;
        this.pendingTool = undefined;
        if (tool) clearTimeout(tool.hold);
        p.speak(a.lineId, a.text, tool ? (r) => tool.resolve(r) : undefined);
        return;
      }
      case "command":
        void p.command(a.name, a.args).then(
          (r) => this.onCommand(a.name, r),
          (err: unknown) => this.onCommand(a.name, { ok: false, error: { code: "SEND_FAILED", message: String(err) } }),
        );
        return;
      case "fetch_agents":
        void (async () => {
          try {
            const agents = await p.omniplay!.onlineAgents();
            this.feed({ type: "agents", extensions: agents.hasOnlineAgents ? reachableAgents(agents, (ext) => this.rules.isTransferable(ext)) : [] });
          } catch (err) {
            p.log("warn", "omniplay_agents_failed", { code: err instanceof OmniplayError ? err.code : "error", error: String(err) });
            this.feed({ type: "agents", extensions: [] });
          }
        })();
        return;
      case "summarize":
        void p.summarize(a.given).then(
          (text) => this.feed({ type: "summary", text }),
          () => this.feed({ type: "summary", text: a.given ?? this.lastCallerText }),
        );
        return;
      case "create_ticket":
        this.summary = a.summary;
        void (async () => {
          try {
            const t = await p.omniplay!.createTicket(p.ticketRequest(a.summary, a.reason, a.callbackNumber), p.ticketStore);
            this.feed({ type: "ticket", ticketId: String(t.ticket_id), protocol: String(t.ticket_id) });
          } catch (err) {
            p.log("warn", "omniplay_ticket_failed", { code: err instanceof OmniplayError ? err.code : "error", error: String(err) });
            this.feed({ type: "ticket_failed", error: err instanceof OmniplayError ? `omniplay ${err.code}${err.status ? ` ${err.status}` : ""}` : "omniplay error" });
          }
        })();
        return;
      case "stop_listening":
        p.stopListening();
        return;
      case "return_to_ai": {
        this.triggers.reset();
        p.resumeListening();
        const tool = this.pendingTool;
        this.pendingTool = undefined;
        if (tool) {
          clearTimeout(tool.hold);
          tool.resolve({ status: "transfer_failed", say_exactly: a.context });
        } else p.returnToAi(a.context);
        return;
      }
      case "start_timer":
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.feed({ type: "timeout" });
        }, a.ms);
        return;
      case "cancel_timer":
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        return;
      case "done":
        p.finished({
          outcome: a.outcome,
          reason: a.reason,
          durationMs: p.now() - (this.startedAt ?? p.now()),
          ...(a.ticketId ? { ticketId: a.ticketId } : {}),
          ...(this.summary ? { summary: this.summary } : {}),
          ...(a.error ? { error: a.error } : {}),
        });
        return;
    }
  }

  private onCommand(name: string, r: CommandOutcome): void {
    if (name === "presence") {
      // Registered only when the relay says so; an error counts as nobody there.
      this.feed({ type: "presence", registered: r.ok && r.result?.registered === true });
    } else if (name === "transfer") {
      this.feed({ type: "transfer_result", ok: r.ok, ...(r.error ? { error: r.error.code } : {}) });
    } else if (!r.ok) {
      this.ports.log("warn", "handoff_hangup_failed", { code: r.error?.code });
    }
  }
}


/**
 * OmniPlay's online agents we may transfer to, in its order: all of them
 * for `ring_all` (or no strategy given), else the first. Its `dialString`
 * is never used: the relay builds the dial string itself from extensions
 * it checked, in the call's own domain.
 */
export function reachableAgents(agents: OnlineAgents, transferable: (extension: string) => boolean): string[] {
  const online = [...new Set(agents.agents.filter((a) => a.status === "online" && transferable(a.extension)).map((a) => a.extension))];
  const ringAll = agents.strategy === null || agents.strategy === "ring_all";
  return online.slice(0, ringAll ? MAX_TRANSFER_DESTINATIONS : 1);
}
