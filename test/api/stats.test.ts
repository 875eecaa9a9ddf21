/** GET /v1/stats/handoffs: counts by reason × outcome and duration percentiles, per tenant, window and secretary; bad input refused clearly. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordConversation, type ConversationRecord } from "../../workers/db/conversation-records.js";
import { adminOfNewTenant, call, newTenant, testApi, token, type TestApi } from "./support.js";

let api: TestApi;
let tenant: string;
let admin: string;
let s1: string;
let s2: string;

const BASE = Date.parse("2026-03-10T12:00:00Z");
const HOUR = 3600_000;
const at = (ms: number) => new Date(BASE + ms).toISOString();
const WINDOW = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(HOUR))}`;

type Seed = Partial<ConversationRecord> & { secretaryId?: string | null };
async function seed(tenantId: string, records: Seed[], startedAt = (i: number) => at(i * 1000)): Promise<void> {
  let i = 0;
  for (const r of records) await recordConversation(api.sql, tenantId, { callId: randomUUID(), startedAt: startedAt(i++), ...r });
}

const handoff = (secretaryId: string | null, handoffReason: ConversationRecord["handoffReason"], outcome: ConversationRecord["outcome"], handoffDurationMs?: number): Seed => ({
  secretaryId,
  handoffReason,
  outcome,
  ...(handoffDurationMs !== undefined ? { handoffDurationMs } : {}),
});

beforeAll(async () => {
  api = testApi();
  ({ tenantId: tenant, admin } = await adminOfNewTenant(api));
  s1 = (await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S1", extension: "8001" } })).body.id;
  s2 = (await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S2", extension: "8002" } })).body.id;
  await seed(tenant, [
    handoff(s1, "after_hours", "ticket_created", 1000),
    handoff(s1, "after_hours", "ticket_created", 3000),
    handoff(s1, "after_hours", "ticket_created", 2000),
    handoff(s1, "keyword_detected", "transferred", 4000),
    handoff(s1, "keyword_detected", "transferred", 6000),
    handoff(s2, "user_request", "transferred", 10_000),
    { ...handoff(s2, "user_request", "failed", 500), handoffError: "omniplay HTTP 503" },
    handoff(s1, "max_turns", "ticket_created"), // recorded before durations were kept
    { secretaryId: s1, outcome: "completed" },
    { secretaryId: s1, outcome: "completed" },
    { secretaryId: null, outcome: "abandoned" },
  ]);
  // Just outside the window, on either side ([from, to) by start).
  await seed(tenant, [handoff(s1, "after_hours", "ticket_created", 99_000)], () => at(-1));
  await seed(tenant, [handoff(s1, "after_hours", "ticket_created", 99_000)], () => at(HOUR));
  // Another tenant's busy hour, same window: never counted.
  const other = await newTenant(api.sql, "other");
  await seed(other, Array.from({ length: 5 }, () => ({ handoffReason: "after_hours" as const, outcome: "failed" as const, handoffDurationMs: 50_000 })));
});
afterAll(() => api.close());

describe("GET /v1/stats/handoffs", () => {
  it("counts calls and handoffs by reason × outcome, with duration p50/p95/max per outcome (percentile_cont)", async () => {
    const res = await call(api, "GET", `/v1/stats/handoffs?${WINDOW}`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      from: at(0),
      to: at(HOUR),
      secretaryId: null,
      totalCalls: 11,
      handoffCalls: 8,
      byReasonOutcome: [
        { reason: "after_hours", outcome: "ticket_created", count: 3 },
        { reason: "keyword_detected", outcome: "transferred", count: 2 },
        { reason: "max_turns", outcome: "ticket_created", count: 1 },
        { reason: "user_request", outcome: "failed", count: 1 },
        { reason: "user_request", outcome: "transferred", count: 1 },
      ],
      durationByOutcome: [
        // 1000, 2000, 3000 (the max_turns handoff has no duration): p95 = 2000 + 0.9 × 1000
        { outcome: "ticket_created", handoffs: 4, timed: 3, p50Ms: 2000, p95Ms: 2900, maxMs: 3000 },
        // 4000, 6000, 10000: p95 = 6000 + 0.9 × 4000
        { outcome: "transferred", handoffs: 3, timed: 3, p50Ms: 6000, p95Ms: 9600, maxMs: 10_000 },
        { outcome: "failed", handoffs: 1, timed: 1, p50Ms: 500, p95Ms: 500, maxMs: 500 },
      ],
    });
  });

  it("filters by secretary, and another tenant's secretary is simply nobody here", async () => {
    const res = await call(api, "GET", `/v1/stats/handoffs?${WINDOW}&secretaryId=${s2.toUpperCase()}`, { token: admin });
    expect(res.body).toMatchObject({
      secretaryId: s2,
      totalCalls: 2,
      handoffCalls: 2,
      byReasonOutcome: [
        { reason: "user_request", outcome: "failed", count: 1 },
        { reason: "user_request", outcome: "transferred", count: 1 },
      ],
      durationByOutcome: [
        { outcome: "failed", handoffs: 1, timed: 1, p50Ms: 500, p95Ms: 500, maxMs: 500 },
        { outcome: "transferred", handoffs: 1, timed: 1, p50Ms: 10_000, p95Ms: 10_000, maxMs: 10_000 },
      ],
    });
    const none = await call(api, "GET", `/v1/stats/handoffs?${WINDOW}&secretaryId=${randomUUID()}`, { token: admin });
    expect(none.body).toMatchObject({ totalCalls: 0, handoffCalls: 0, byReasonOutcome: [], durationByOutcome: [] });
  });

  it("moves with the window: a later window sees only the call at its start", async () => {
    const res = await call(api, "GET", `/v1/stats/handoffs?from=${encodeURIComponent(at(HOUR))}&to=${encodeURIComponent(at(2 * HOUR))}`, { token: admin });
    expect(res.body).toMatchObject({ totalCalls: 1, handoffCalls: 1, durationByOutcome: [{ outcome: "ticket_created", p50Ms: 99_000 }] });
  });

  it("defaults to the last 24 hours, and any read role may ask", async () => {
    const { tenantId } = await adminOfNewTenant(api);
    const now = Date.now();
    await seed(tenantId, [handoff(null, "user_request", "transferred", 1234)], () => new Date(now - HOUR).toISOString());
    await seed(tenantId, [handoff(null, "user_request", "transferred", 9999)], () => new Date(now - 25 * HOUR).toISOString());
    for (const role of ["tenant_viewer", "service", "tenant_admin"] as const) {
      const res = await call(api, "GET", "/v1/stats/handoffs", { token: await token(role, tenantId) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ totalCalls: 1, handoffCalls: 1, durationByOutcome: [{ outcome: "transferred", maxMs: 1234 }] });
      expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(24 * HOUR);
      expect(Math.abs(Date.parse(res.body.to) - Date.now())).toBeLessThan(60_000);
    }
    // Only `to`: the 24 hours before it.
    const before = await call(api, "GET", `/v1/stats/handoffs?to=${encodeURIComponent(new Date(now - 2 * HOUR).toISOString())}`, { token: admin });
    expect(before.body).toMatchObject({ totalCalls: 0 });
    const operator = await call(api, "GET", "/v1/stats/handoffs", { token: await token("operator", null), headers: { "X-Tenant-Id": tenantId } });
    expect(operator.body).toMatchObject({ totalCalls: 1 });
  });

  it("accepts a window of exactly 92 days", async () => {
    const res = await call(api, "GET", `/v1/stats/handoffs?from=2026-01-01T00:00:00Z&to=2026-04-03T00:00:00Z`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.totalCalls).toBe(13);
  });

  it.each([
    ["from after to", `from=${encodeURIComponent(at(HOUR))}&to=${encodeURIComponent(at(0))}`, "query.from", /must be before to/],
    ["an empty window", `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(0))}`, "query.from", /must be before to/],
    ["a window over 92 days", "from=2026-01-01T00:00:00Z&to=2026-04-03T00:00:01Z", "query.from", /at most 92 days/],
    ["only a from long ago", "from=2020-01-01T00:00:00Z", "query.from", /at most 92 days.*to defaults to now/],
    ["a from in the future (to defaults to now)", "from=2999-01-01T00:00:00Z", "query.from", /must be before to \(default: now/],
    ["a date that is not ISO 8601", "from=10%2F03%2F2026", "query.from", /./],
    ["a time without an offset", "to=2026-03-10T12:00:00", "query.to", /./],
    ["a secretary id that is not a UUID", "secretaryId=42", "query.secretaryId", /UUID/],
    ["an unknown parameter", "reason=after_hours", "query", /unrecognized key/i],
  ])("400 on %s", async (_what, query, path, message) => {
    const res = await call(api, "GET", `/v1/stats/handoffs?${query}`, { token: admin });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    const field = (res.body.error.fields as { path: string; message: string }[]).find((f) => f.path === path);
    expect(field, JSON.stringify(res.body)).toBeDefined();
    expect(field!.message).toMatch(message);
  });

  it("needs a token, and is in the OpenAPI document with its query", async () => {
    expect((await call(api, "GET", "/v1/stats/handoffs")).status).toBe(401);
    const doc = await call(api, "GET", "/v1/openapi.json");
    const op = doc.body.paths["/v1/stats/handoffs"].get;
    expect(op["x-roles"]).toEqual(["operator", "tenant_admin", "tenant_viewer", "service"]);
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(["X-Tenant-Id", "from", "to", "secretaryId"]);
    expect(Object.keys(op.responses["200"].content["application/json"].schema.properties)).toContain("durationByOutcome");
  });
});
