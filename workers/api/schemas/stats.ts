/** Handoff statistics (issue 5): the query and the answer of `GET /stats/handoffs`. */
import { z } from "zod";
import { uuid } from "./common.js";
import { HANDOFF_REASONS, OUTCOMES } from "./conversation.js";

/** The longest window one request may aggregate (a quarter, rounded up). */
export const MAX_STATS_WINDOW_DAYS = 92;
/** The window when neither `from` nor `to` is given: the last 24 hours. */
export const DEFAULT_STATS_WINDOW_MS = 24 * 3600_000;

export const handoffStatsQuery = z.strictObject({
  /** Calls that started at or after this instant (default: `to` minus 24 h, or now minus 24 h). */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Calls that started before this instant (default: now). */
  to: z.iso.datetime({ offset: true }).optional(),
  /** Only this secretary's calls. */
  secretaryId: uuid.optional(),
});

const count = z.number().int().min(0);
const ms = z.number().int().min(0).nullable();

export const handoffStatsOutput = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  secretaryId: uuid.nullable(),
  /** Calls that started in the window. */
  totalCalls: count,
  /** Of those, calls with a handoff (a record with a handoff reason). */
  handoffCalls: count,
  /** Handoffs per reason and outcome, most frequent first. */
  byReasonOutcome: z.array(z.object({ reason: z.enum(HANDOFF_REASONS), outcome: z.enum(OUTCOMES).nullable(), count })),
  /**
   * Handoff duration per outcome. `timed` counts the handoffs whose record has a
   * duration (older records have none); the percentiles are over those, null when none.
   */
  durationByOutcome: z.array(z.object({ outcome: z.enum(OUTCOMES).nullable(), handoffs: count, timed: count, p50Ms: ms, p95Ms: ms, maxMs: ms })),
});

export type HandoffStatsOutput = z.output<typeof handoffStatsOutput>;
