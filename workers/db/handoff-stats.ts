/**
 * Handoff statistics of one tenant's calls in a time window, computed in
 * Postgres in one statement (one snapshot, one round trip through
 * Hyperdrive): counts by reason × outcome, and duration percentiles per
 * outcome. Served by the `conversations_handoff_stats` index (0002) without
 * reading the rows themselves.
 */
import type { HandoffStatsOutput } from "../api/schemas/stats.js";
import type { Sql } from "./client.js";

export interface HandoffStatsWindow {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  secretaryId?: string;
}

export type HandoffStats = Pick<HandoffStatsOutput, "totalCalls" | "handoffCalls" | "byReasonOutcome" | "durationByOutcome">;

type Reason = HandoffStatsOutput["byReasonOutcome"][number]["reason"];
type Outcome = HandoffStatsOutput["byReasonOutcome"][number]["outcome"];

interface GroupRow {
  reason: Reason | null;
  outcome: Outcome;
  /** 1 on the per-outcome rows (reason rolled up), 0 on the reason × outcome rows. */
  perOutcome: number;
  calls: number;
  handoffs: number;
  timed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

const round = (n: number | null) => (n === null ? null : Math.round(n));

/**
 * A call had a handoff when its record has a handoff reason; an `end_call`
 * goodbye (no reason) is not one. Calls are placed in the window by their start.
 */
export async function handoffStats(sql: Sql, tenantId: string, w: HandoffStatsWindow): Promise<HandoffStats> {
  // Two grouping sets in one scan: (reason, outcome) counts every call, a handoff or not,
  // so their sum is the total; (outcome) gives the duration figures across reasons.
  const rows = await sql<GroupRow[]>`
    select handoff_reason as reason, outcome, grouping(handoff_reason) as per_outcome,
      count(*)::int as calls,
      (count(*) filter (where handoff_reason is not null))::int as handoffs,
      (count(handoff_duration_ms) filter (where handoff_reason is not null))::int as timed,
      percentile_cont(0.5) within group (order by handoff_duration_ms) filter (where handoff_reason is not null) as p50_ms,
      percentile_cont(0.95) within group (order by handoff_duration_ms) filter (where handoff_reason is not null) as p95_ms,
      max(handoff_duration_ms) filter (where handoff_reason is not null) as max_ms
    from conversations
    where tenant_id = ${tenantId} and started_at >= ${w.from} and started_at < ${w.to}
      ${w.secretaryId ? sql`and secretary_id = ${w.secretaryId}` : sql``}
    group by grouping sets ((handoff_reason, outcome), (outcome))
    order by per_outcome, handoffs desc, calls desc, reason nulls last, outcome nulls last`;

  const cells = rows.filter((r) => r.perOutcome === 0);
  const handoffCells = cells.filter((r): r is GroupRow & { reason: Reason } => r.reason !== null);
  return {
    totalCalls: cells.reduce((n, r) => n + r.calls, 0),
    handoffCalls: handoffCells.reduce((n, r) => n + r.calls, 0),
    byReasonOutcome: handoffCells.map((r) => ({ reason: r.reason, outcome: r.outcome, count: r.calls })),
    durationByOutcome: rows
      .filter((r) => r.perOutcome === 1 && r.handoffs > 0)
      .map((r) => ({ outcome: r.outcome, handoffs: r.handoffs, timed: r.timed, p50Ms: round(r.p50Ms), p95Ms: round(r.p95Ms), maxMs: r.maxMs })),
  };
}
