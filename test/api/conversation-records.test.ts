/** The CallSession's record of a call: stored once per call, retried safely, visible through the API. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordConversation } from "../../workers/db/conversation-records.js";
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

  it("validates like the API", async () => {
    const { tenantId } = await adminOfNewTenant(api);
    await expect(recordConversation(api.sql, tenantId, { callId: "nope", startedAt: "2026-11-21T10:00:00Z" })).rejects.toThrow();
  });
});
