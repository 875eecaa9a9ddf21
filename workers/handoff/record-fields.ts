/**
 * How a handoff ended, as the CallSession keeps it (handoff-store.ts), and
 * the conversation record's fields it fills. Apart from the store so that
 * code without Durable Object types (Node tests) can use it.
 */
import { HANDOFF_REASONS, MAX_HANDOFF_DURATION_MS, MAX_HANDOFF_ERROR_LENGTH, OUTCOMES } from "../api/schemas/conversation.js";
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
  const ticketId = h.ticketId ? printable(h.ticketId, 64) : "";
  if (ticketId) out.ticketId = ticketId;
  if (h.summary) out.summary = h.summary.slice(0, 20_000);
  // The record is validated before it is stored, and one bad field would lose the whole record:
  // a duration that cannot be one is left out, an error is made printable and cut to the column.
  if (h.durationMs !== null && Number.isFinite(h.durationMs) && h.durationMs >= 0 && h.durationMs <= MAX_HANDOFF_DURATION_MS) {
    out.handoffDurationMs = Math.round(h.durationMs);
  }
  const error = h.error ? printable(h.error, MAX_HANDOFF_ERROR_LENGTH) : "";
  if (error) out.handoffError = error;
  return out;
}

/** One line of at most `max` characters: control characters become spaces, no half of a surrogate pair at the cut. */
function printable(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim().slice(0, max).replace(/[\ud800-\udbff]$/, "");
}
