/** The record of one call: transcript, summary, numbers and how it ended. */
import { z } from "zod";
import { pageQuery, text, timestamps, uuid } from "./common.js";

export const OUTCOMES = ["completed", "transferred", "ticket_created", "abandoned", "failed"] as const;
export const HANDOFF_REASONS = ["keyword_detected", "max_turns", "user_request", "after_hours", "provider_failure"] as const;
/** A handoff lasts at most as long as a call (durationSeconds' bound). */
export const MAX_HANDOFF_DURATION_MS = 86_400_000;
/** Why a handoff failed ("omniplay HTTP 503", "transfer busy"): short codes, bounded like the column. */
export const MAX_HANDOFF_ERROR_LENGTH = 500;

export const transcriptTurn = z.strictObject({
  role: z.enum(["caller", "agent", "system", "tool"]),
  text: text(10_000, { multiline: true }),
  timestamp: z.iso.datetime({ offset: true }),
});

const fields = {
  callId: uuid,
  secretaryId: uuid.nullable(),
  caller: text(64),
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }).nullable(),
  durationSeconds: z.number().min(0).max(86_400).nullable(),
  turns: z.number().int().min(0).max(100_000),
  avgLatencyMs: z.number().min(0).max(600_000).nullable(),
  transcript: z.array(transcriptTurn).max(5000),
  summary: text(20_000, { multiline: true }).nullable(),
  handoffReason: z.enum(HANDOFF_REASONS).nullable(),
  outcome: z.enum(OUTCOMES).nullable(),
  ticketId: text(64).nullable(),
  /** From the handoff's trigger to its end (transferred, ticket read out, or failed). */
  handoffDurationMs: z.number().int().min(0).max(MAX_HANDOFF_DURATION_MS).nullable(),
  handoffError: text(MAX_HANDOFF_ERROR_LENGTH).nullable(),
  provider: text(64).nullable(),
};

export const conversationCreate = z.strictObject(fields).partial().required({ callId: true, startedAt: true });
/** A record is corrected, not rewritten: the call and its start stay. */
export const conversationUpdate = z.strictObject(fields).omit({ callId: true, startedAt: true }).partial();

export const conversationOutput = z.object({
  id: uuid,
  ...fields,
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  version: z.number().int(),
  ...timestamps,
});

export const conversationQuery = pageQuery
  .extend({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    /** Part of the caller's number. */
    caller: z.string().min(1).max(64).optional(),
    outcome: z.enum(OUTCOMES).optional(),
    secretaryId: uuid.optional(),
  })
  .strict();
