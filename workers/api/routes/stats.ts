/** Tenant statistics computed from the conversation records (issue 5: handoffs by reason and outcome, and their duration). */
import type { Hono } from "hono";
import { handoffStats } from "../../db/handoff-stats.js";
import type { ApiBindings } from "../bindings.js";
import { apiError } from "../errors.js";
import type { RouteRegistry } from "../openapi.js";
import type { Guard } from "../resource.js";
import { DEFAULT_STATS_WINDOW_MS, handoffStatsOutput, handoffStatsQuery, MAX_STATS_WINDOW_DAYS, type HandoffStatsOutput } from "../schemas/stats.js";
import { parseQuery } from "../validate.js";

const MAX_WINDOW_MS = MAX_STATS_WINDOW_DAYS * 86_400_000;

/**
 * The window a stats query asks for: `to` defaults to now and `from` to 24 h
 * before `to`. Refused (400, naming the field) when empty, reversed or longer
 * than {@link MAX_STATS_WINDOW_DAYS} days: a bounded window keeps one request
 * from scanning a tenant's whole history.
 */
export function statsWindow(q: { from?: string; to?: string }, now: number): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date(now);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_STATS_WINDOW_MS);
  const refuse = (path: "from" | "to", message: string) => apiError(400, "VALIDATION_FAILED", `invalid query: ${message}`, [{ path: `query.${path}`, message }]);
  if (from.getTime() >= to.getTime()) {
    throw refuse("from", q.to ? "must be before to" : `must be before to (default: now, ${to.toISOString()})`);
  }
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) {
    throw refuse("from", `the window is at most ${MAX_STATS_WINDOW_DAYS} days, from ${from.toISOString()} to ${to.toISOString()}${q.to ? "" : " (to defaults to now)"} is longer`);
  }
  return { from, to };
}

export function mountStats(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard): void {
  registry.add({
    method: "get",
    path: "/stats/handoffs",
    summary: `Handoffs by reason and outcome, and their duration (p50, p95, max) per outcome, of the calls that started in a window (default: the last 24 h; at most ${MAX_STATS_WINDOW_DAYS} days)`,
    tag: "Stats",
    access: "read",
    query: handoffStatsQuery,
    response: handoffStatsOutput,
  });
  app.get("/stats/handoffs", guard("read"), async (c) => {
    const q = parseQuery(c, handoffStatsQuery);
    const { from, to } = statsWindow(q, Date.now());
    const secretaryId = q.secretaryId?.toLowerCase();
    const stats = await handoffStats(c.get("sql"), c.get("tenantId"), { from, to, secretaryId });
    const body: HandoffStatsOutput = { from: from.toISOString(), to: to.toISOString(), secretaryId: secretaryId ?? null, ...stats };
    return c.json(body);
  });
}
