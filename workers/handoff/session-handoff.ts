/**
 * The handoff of one call, wired to its CallSession: the controller with
 * the secretary's rules, triggers and lines; relay commands and line marks
 * over the link; OmniPlay; the summary through the turn-based chat
 * adapter; the outcome in the session's storage and the call record. The
 * AI secretary sees only `HandoffObserver` (what happened on the call) and
 * gives back `AgentVoice` (what the handoff may ask of it).
 */
import type { ControlInput } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import type { CallStartInfo } from "../call-session.js";
import type { SessionControl } from "../downlink.js";
import type { Env } from "../env.js";
import { log } from "../log.js";
import { openAiBase } from "../providers/factory.js";
import { OpenAiRest } from "../providers/turn-based/openai-rest.js";
import type { CallRecord } from "../secretaries/call-record.js";
import { conversationOf } from "../secretaries/conversation-export.js";
import { HandoffController, type HandoffPorts } from "./controller.js";
import { TRANSFER_RESULT_GRACE_MS } from "./decision.js";
import { handoffLines, type HandoffPlan } from "./handoff-plan.js";
import { HandoffStore } from "./handoff-store.js";
import { OmniplayClient } from "./omniplay.js";
import { LineMarks, RelayCommands } from "./relay-links.js";
import { collectText, fallbackSummary, summaryMessages, ticketRequest } from "./ticket-body.js";
import { TransferRules } from "./transfer-rules.js";
import { TriggerPolicy } from "./triggers.js";

/** What the handoff may ask of the AI secretary. */
export interface AgentVoice {
  /** The agent says `text` (the provider speaks it). */
  say(text: string): Promise<void>;
  /** The provider stops hearing the caller. */
  stopListening(): void;
  /** The provider hears the caller again. */
  resumeListening(): void;
  /** Controls for the relay now (not waiting for the next upstream call). */
  sendControls(controls: ControlInput[]): void;
}

/** What the AI secretary tells the handoff. */
export interface HandoffObserver {
  callerFinal(text: string): void;
  agentFinal(text: string): void;
  agentAudio(responseId: string): void;
  responseDone(responseId: string): void;
  /** A control from the relay; true when the handoff consumed it. */
  control(message: SessionControl): boolean;
  /** Controls due at this output (`drained`: no agent audio left to send). */
  controlsDue(drained: boolean): ControlInput[];
  /** No provider left: true when the handoff takes the call over (no `call.end`). */
  providerLost(): boolean;
  end(): void;
}

const PLAYED_GRACE_MS = 600;

export interface CallHandoff {
  controller: HandoffController;
  observer: HandoffObserver;
  store: HandoffStore;
}

export interface CallHandoffDeps {
  env: Env;
  info: CallStartInfo;
  plan: AiPlan & { handoff: HandoffPlan };
  record: CallRecord;
  storage: DurableObjectStorage;
  startedAt: number;
  voice: () => AgentVoice | undefined;
}

export function createCallHandoff(d: CallHandoffDeps): CallHandoff {
  const h = d.plan.handoff;
  const callId = d.info.callId;
  const store = new HandoffStore(d.storage);
  const marks = new LineMarks(callId);
  // Commands go out at once (a presence check must not wait for the next caller frame).
  const commands = new RelayCommands(callId, (c) => d.voice()?.sendControls([c]), 10_000);
  const omniplay = h.omniplay ? new OmniplayClient({ baseUrl: h.omniplay.baseUrl, serviceToken: h.omniplay.serviceToken, companyId: h.companyId }) : null;
  const record = d.record;

  const ports: HandoffPorts = {
    now: Date.now,
    speak: (lineId, text, toolResult) => {
      marks.delivered(lineId);
      // Without a provider (it failed) nobody can say the line: act as if it was said, after this step.
      const skip = () => void Promise.resolve().then(() => controller.played(lineId));
      const voice = d.voice();
      if (toolResult) toolResult({ status: "ok", say_exactly: text, note: "Say say_exactly to the caller, word for word, and nothing else." });
      else if (voice) voice.say(text).catch(skip);
      else skip();
    },
    // A supervised transfer answers when someone picked up or the relay gave up ringing: wait past handoff_timeout.
    command: (name, args) => commands.send(name, args, name === "transfer" ? h.timeoutSeconds * 1000 + TRANSFER_RESULT_GRACE_MS : undefined),
    stopListening: () => d.voice()?.stopListening(),
    resumeListening: () => d.voice()?.resumeListening(),
    returnToAi: (context) => void d.voice()?.say(context),
    summarize: async (given) => {
      if (given?.trim()) return given.trim();
      const transcript = record.transcripts();
      const p = [d.plan.provider, d.plan.fallbackProvider].find((x) => x?.vendor === "openai");
      const apiKey = p ? (p.apiKey ?? (p.baseUrl || d.env.OPENAI_BASE_URL ? "sk-local-stand-in" : null)) : null;
      if (!p || !apiKey) return fallbackSummary(transcript);
      const chat = new OpenAiRest({ apiKey, baseUrl: openAiBase(p, d.env), language: h.language });
      const signal = AbortSignal.timeout(8000);
      const text = await collectText(chat.chat(summaryMessages(transcript, h.language), [], signal)).catch(() => "");
      return text || fallbackSummary(transcript);
    },
    omniplay,
    ticketRequest: (summary, reason, callbackNumber) =>
      ticketRequest(conversationOf(d.info, record, d.startedAt, Date.now()), {
        summary,
        reason,
        language: h.language,
        queueId: h.queueId,
        secretaryId: d.plan.secretaryId,
        ...(callbackNumber ? { callbackNumber } : {}),
      }),
    ticketStore: store,
    finished: (r) => {
      store.finished(r);
      record.outcome(r.outcome);
      // One line per handoff: the metrics pipeline counts handoffs by reason and outcome and takes the duration.
      log(r.outcome === "failed" ? "warn" : "info", "handoff_done", { callId, reason: r.reason, outcome: r.outcome, durationMs: r.durationMs, ticketId: r.ticketId, error: r.error });
      if (r.outcome === "transferred") d.voice()?.stopListening();
    },
    log: (level, event, fields) => log(level, event, { callId, ...fields }),
  };

  const controller = new HandoffController(
    {
      businessHours: h.businessHours,
      presenceCheck: h.presenceCheck,
      ticketsEnabled: h.ticketsEnabled,
      lines: handoffLines(h),
      timeouts: { transferMs: h.timeoutSeconds * 1000, presenceMs: 5000, lineMs: 30_000 },
    },
    new TransferRules(h.rules, h.transferExtension),
    new TriggerPolicy({ enabled: h.enabled, keywords: h.keywords, maxAiTurns: h.maxAiTurns }),
    ports,
  );

  // The greeting is not a turn: agent answers count once the caller has spoken.
  let callerSpoke = false;
  const observer: HandoffObserver = {
    callerFinal: (text) => {
      callerSpoke = true;
      controller.callerSaid(text);
    },
    agentFinal: () => {
      if (callerSpoke) controller.agentAnswered();
    },
    agentAudio: (id) => marks.agentAudio(id),
    responseDone: (id) => marks.responseDone(id),
    control: (m) => {
      if (m.type === "command.result") return commands.result(m);
      if (m.type === "playback.event") {
        const line = marks.played(m);
        // The relay's mark is its own estimate of FreeSWITCH's play-out, which runs a little late
        // (~1 ms per 100 ms file): a short grace keeps the last syllable of a goodbye from being cut.
        if (line) setTimeout(() => controller.played(line), PLAYED_GRACE_MS);
        return line !== undefined;
      }
      return false;
    },
    controlsDue: (drained) => marks.due(drained),
    providerLost: () => {
      if (!h.enabled || controller.phase !== "idle") return false;
      controller.providerFailed();
      return true;
    },
    end: () => {
      controller.cancel();
      commands.cancel();
    },
  };
  return { controller, observer, store };
}
