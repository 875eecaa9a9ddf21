/**
 * One provider's events, applied to the call: agent audio to the playback,
 * transcripts to the record and to the history the next provider is seeded
 * with, tool calls to the tool registry; the turn clock and the handoff
 * kept up to date. Events of a provider that is no longer the call's
 * (replaced, or the call is over) are dropped, but a greeting it finished
 * is still cached.
 */
import type { HandoffObserver } from "../handoff/session-handoff.js";
import { log } from "../log.js";
import { ProviderError, type HistoryTurn, type ProviderEvents, type Transcript, type VoiceProvider } from "../providers/provider.js";
import type { ToolRegistry } from "../providers/tools.js";
import type { AgentPlayback } from "./agent-playback.js";
import type { BargeIn } from "./barge-in.js";
import type { CallGreeting } from "./call-greeting.js";
import type { CallRecord } from "./call-record.js";
import type { ProviderFailover } from "./provider-failover.js";
import type { TurnClock } from "./turn-clock.js";

/** What of the secretary's dependencies the events reach. */
export interface EventDeps {
  callId: string;
  tools: ToolRegistry;
  record: CallRecord;
  handoff?: HandoffObserver;
  now(): number;
}

/** The parts of the call the events reach. */
export interface CallParts {
  providers: ProviderFailover;
  playback: AgentPlayback;
  greeting: CallGreeting;
  clock: TurnClock;
  bargeIn: BargeIn;
  /** Latest partial transcript per item, replaced by the final one. */
  partials: Map<string, Transcript>;
  /** Final transcripts: the conversation a new provider is seeded with. */
  history: HistoryTurn[];
  /** Is the call over? */
  ended(): boolean;
  /** Does the provider hear the caller (no transfer ringing, no handoff)? */
  listening(): boolean;
  startBargeIn(): void;
}

export function providerEvents(provider: VoiceProvider, d: EventDeps, c: CallParts): ProviderEvents {
  const live = () => c.providers.current === provider && !c.ended();
  return {
    audio: (bytes, responseId) => {
      if (!live() || c.bargeIn.wasInterrupted(responseId)) return;
      c.greeting.audio(responseId, bytes);
      c.clock.answered();
      c.playback.push(provider.output, bytes, responseId);
      d.handoff?.agentAudio(responseId);
    },
    callerSpeechStarted: () => {
      if (live() && c.listening() && c.playback.speaking(d.now())) c.startBargeIn();
    },
    callerSpeechStopped: () => {
      if (!live()) return;
      c.clock.callerStopped(d.now());
    },
    transcript: (t) => {
      if (!live()) return;
      const key = `${t.role}:${t.itemId ?? ""}`;
      if (!t.final) return void c.partials.set(key, t);
      c.partials.delete(key);
      c.history.push({ role: t.role, text: t.text });
      d.record.transcript(t, d.now(), c.providers.label);
      if (t.role === "caller") d.handoff?.callerFinal(t.text);
      else d.handoff?.agentFinal(t.text);
    },
    toolCall: (call) => {
      if (!live()) return;
      c.clock.toolCalled(d.now()); // the answer comes after the tool
      void d.tools.run(call).then((r) => {
        if (live()) provider.toolResult(call, r.result);
      });
    },
    usage: (u) => live() && d.record.addUsage(u),
    responseDone: (responseId) => {
      if (live()) c.clock.answered(); // possibly with nothing to say
      if (live()) d.handoff?.responseDone(responseId);
      c.greeting.responseDone(responseId, provider.output);
    },
    ended: (end) => c.providers.fail(provider, new ProviderError(end.code, end.message)),
    configured: (accepted) => {
      const missing = accepted.notAccepted;
      if (Array.isArray(missing) && missing.length) log("warn", "provider_config_not_accepted", { callId: d.callId, provider: c.providers.label, fields: missing });
    },
  };
}
