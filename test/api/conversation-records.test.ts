/** The CallSession's record of a call: stored once per call, retried safely, visible through the API. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordConversation } from "../../workers/db/conversation-records.js";
import { handoffFields } from "../../workers/handoff/record-fields.js";
import { adminOfNewTenant, call, testApi, type TestApi } from "./support.js";

let api: TestApi;
beforeAll(() => {
  api = testApi();
});
afterAll(() => api.close());

describe("recordConversation", () => {
  it("stores the record, and a retry replaces it instead of adding one", async () => {
    const { tenantId, admin } = await adminOfNewTenant(api);
    const callId = randomUUID();
    const base = { callId, caller: "+5511988887777", startedAt: "2026-11-21T10:00:00Z", turns: 2, transcript: [{ role: "caller" as const, text: "Oi", timestamp: "2026-11-21T10:00:01Z" }] };
    const id = await recordConversation(api.sql, tenantId, base);
    const again = await recordConversation(api.sql, tenantId, { ...base, turns: 3, outcome: "ticket_created", ticketId: "T-9", summary: "quer boleto" });
    expect(again).toBe(id);
    const list = await call(api, "GET", `/v1/conversations?caller=988887777`, { token: admin });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ id, turns: 3, outcome: "ticket_created", ticketId: "T-9", transcript: [{ text: "Oi" }] });
  });

  it("keeps the handoff's duration and error, from the CallSession's store to the API", async () => {
    const { tenantId, admin } = await adminOfNewTenant(api);
    const callId = randomUUID();
    const stored = { ticketId: null, reason: "user_request", outcome: "failed", summary: null, error: "omniplay HTTP 503\nretry later", durationMs: 2345.6 };
    const id = await recordConversation(api.sql, tenantId, { callId, startedAt: "2026-11-21T10:00:00Z", outcome: "completed", ...handoffFields(stored) });
    const got = await call(api, "GET", `/v1/conversations/${id}`, { token: admin });
    expect(got.body).toMatchObject({ handoffReason: "user_request", outcome: "failed", handoffDurationMs: 2346, handoffError: "omniplay HTTP 503 retry later" });
    // A retry replaces them too, and a call without a handoff has neither.
    await recordConversation(api.sql, tenantId, { callId, startedAt: "2026-11-21T10:00:00Z", ...handoffFields({ ...stored, error: null, durationMs: 800 }) });
    expect((await call(api, "GET", `/v1/conversations/${id}`, { token: admin })).body).toMatchObject({ handoffDurationMs: 800, handoffError: null });
    const plain = await call(api, "POST", "/v1/conversations", { token: admin, body: { callId: randomUUID(), startedAt: "2026-11-21T11:00:00Z" } });
    expect(plain.body).toMatchObject({ handoffDurationMs: null, handoffError: null });
    // Writable through the API like the other fields, with the same bounds as the columns.
    const patched = await call(api, "PATCH", `/v1/conversations/${plain.body.id}`, { token: admin, body: { handoffDurationMs: 1500, handoffError: "transfer busy" } });
    expect(patched.body).toMatchObject({ handoffDurationMs: 1500, handoffError: "transfer busy" });
    for (const [body, field] of [
      [{ handoffError: "x".repeat(501) }, "handoffError"],
      [{ handoffError: "a\u0000b" }, "handoffError"],
      [{ handoffDurationMs: -1 }, "handoffDurationMs"],
      [{ handoffDurationMs: 1.5 }, "handoffDurationMs"],
      [{ handoffDurationMs: 86_400_001 }, "handoffDurationMs"],
    ] as const) {
      const res = await call(api, "PATCH", `/v1/conversations/${plain.body.id}`, { token: admin, body });
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { path: string }) => f.path)).toEqual([field]);
    }
  });

  it("validates like the API", async () => {
    const { tenantId } = await adminOfNewTenant(api);
    await expect(recordConversation(api.sql, tenantId, { callId: "nope", startedAt: "2026-11-21T10:00:00Z" })).rejects.toThrow();
  });
});
