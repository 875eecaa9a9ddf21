/**
 * The policy triggers that hand a call to a person without the model
 * asking: a configured keyword in what the caller said, or the AI having
 * answered `maxAiTurns` times. They fire once per call: after a handoff
 * that came back (transfer failed), the model offers to take a message and
 * the caller's next keyword is a fresh request, handled by the caller of
 * `reset()`. Pure.
 */
import type { HandoffReason } from "./decision.js";
import { findPhrase } from "./words.js";

/** Brazilian Portuguese defaults (the secretaries table's default too). */
export const DEFAULT_HANDOFF_KEYWORDS = ["atendente", "humano", "pessoa", "operador"] as const;

export interface TriggerConfig {
  enabled: boolean;
  keywords: readonly string[];
  maxAiTurns: number;
}

export interface PolicyTrigger {
  reason: Extract<HandoffReason, "keyword_detected" | "max_turns">;
  /** The keyword as configured, for keyword_detected. */
  keyword?: string;
  /** What the caller said that fired it. */
  text?: string;
}

export class TriggerPolicy {
  private agentTurns = 0;
  private fired = false;

  constructor(private readonly config: TriggerConfig) {}

  get turns(): number {
    return this.agentTurns;
  }

  /** A final caller transcript. */
  callerSaid(text: string): PolicyTrigger | null {
    if (!this.config.enabled || this.fired) return null;
    const keyword = findPhrase(text, this.config.keywords.length ? this.config.keywords : DEFAULT_HANDOFF_KEYWORDS);
    if (keyword === undefined) return null;
    this.fired = true;
    return { reason: "keyword_detected", keyword, text };
  }

  /** A final agent answer (the greeting does not count: it is not a turn the caller took). */
  agentAnswered(): PolicyTrigger | null {
    this.agentTurns += 1;
    if (!this.config.enabled || this.fired || this.agentTurns < this.config.maxAiTurns) return null;
    this.fired = true;
    return { reason: "max_turns" };
  }

  /** Arms the triggers again (after a handoff came back to the AI). */
  reset(): void {
    this.fired = false;
  }
}
