/**
 * How a handoff ended, as the CallSession keeps it (handoff-store.ts), and
 * the conversation record's fields it fills. Apart from the store so that
 * code without Durable Object types (Node tests) can use it.
 */
import { HANDOFF_REASONS, OUTCOMES } from "../api/schemas/conversation.js";
import type { ConversationRecord } from "../db/conversation-records.js";

export interface StoredHandoff {
  ticketId: string | null;
  reason: string | null;
  outcome: string | null;
  summary: string | null;
  error: string | null;
  durationMs: number | null;
}

/** The conversation record's handoff fields; only what a handoff set, so a call without one keeps the defaults. */
export function handoffFields(h: StoredHandoff): Partial<ConversationRecord> {
  const out: Partial<ConversationRecord> = {};
  if (h.reason && (HANDOFF_REASONS as readonly string[]).includes(h.reason)) out.handoffReason = h.reason as (typeof HANDOFF_REASONS)[number];
  if (h.outcome && (OUTCOMES as readonly string[]).includes(h.outcome)) out.outcome = h.outcome as (typeof OUTCOMES)[number];
  if (h.ticketId) out.ticketId = h.ticketId.slice(0, 64);
  if (h.summary) out.summary = h.summary.slice(0, 20_000);
  return out;
}
