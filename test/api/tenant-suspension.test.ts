/**
 * A suspended tenant's own principals are shut out of the API (403
 * TENANT_SUSPENDED) while the operator still manages the tenant; the cached
 * status cannot say "active" for longer than its TTL.
 */
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../workers/api/app.js";
import type { ApiBindings } from "../../workers/api/bindings.js";
import { adminOfNewTenant, call, newTenant, testApi, token, type TestApi } from "./support.js";

let api: TestApi;
let op: string;

beforeAll(async () => {
  api = testApi();
  op = await token("operator", null, { sub: "ops" });
});
afterAll(() => api.close());

const suspend = (id: string, status: "active" | "suspended") => call(api, "PATCH", `/v1/tenants/${id}`, { token: op, body: { status } });

describe("suspended tenants", () => {
  it("refuses every role of a suspended tenant with 403 TENANT_SUSPENDED, on tenant-scoped and tenant routes", async () => {
    const { tenantId, admin } = await adminOfNewTenant(api);
    const viewer = await token("tenant_viewer", tenantId);
    const service = await token("service", tenantId);
    expect((await call(api, "GET", "/v1/secretaries", { token: admin })).status).toBe(200);

    expect((await suspend(tenantId, "suspended")).body.status).toBe("suspended");
    const attempts = [
      await call(api, "GET", "/v1/secretaries", { token: admin }),
      await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "x", extension: "8000" } }),
      await call(api, "POST", "/v1/relays", { token: admin, body: { name: "PBX" } }),
      await call(api, "GET", "/v1/providers", { token: viewer }),
      await call(api, "POST", "/v1/conversations", { token: service, body: { callId: randomUUID(), startedAt: new Date().toISOString() } }),
      await call(api, "GET", `/v1/tenants/${tenantId}`, { token: admin }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("TENANT_SUSPENDED");
      expect(res.body.error.message).toMatch(/suspended/);
    }
    expect(await api.sql`select 1 from secretaries where tenant_id = ${tenantId}`).toHaveLength(0);
    expect(await api.sql`select 1 from relays where tenant_id = ${tenantId}`).toHaveLength(0);
  });

  it("lets the operator manage a suspended tenant and reactivate it, which lets its users back in", async () => {
    const { tenantId, admin } = await adminOfNewTenant(api);
    await suspend(tenantId, "suspended");
    const asOp = { "X-Tenant-Id": tenantId };
    expect((await call(api, "GET", `/v1/tenants/${tenantId}`, { token: op })).body.status).toBe("suspended");
    expect((await call(api, "POST", "/v1/secretaries", { token: op, headers: asOp, body: { name: "Op", extension: "9000" } })).status).toBe(201);
    expect((await call(api, "GET", "/v1/secretaries", { token: op, headers: asOp })).body.items).toHaveLength(1);
    expect((await call(api, "GET", "/v1/secretaries", { token: admin })).status).toBe(403);

    expect((await suspend(tenantId, "active")).status).toBe(200);
    const back = await call(api, "GET", "/v1/secretaries", { token: admin });
    expect(back.status).toBe(200);
    expect(back.body.items).toHaveLength(1);
  });

  it("does not touch other tenants, and refuses a token whose tenant was deleted", async () => {
    const a = await adminOfNewTenant(api);
    const b = await adminOfNewTenant(api);
    await suspend(a.tenantId, "suspended");
    expect((await call(api, "GET", "/v1/secretaries", { token: b.admin })).status).toBe(200);
    expect((await call(api, "DELETE", `/v1/tenants/${b.tenantId}`, { token: op })).status).toBe(204);
    const gone = await call(api, "GET", "/v1/secretaries", { token: b.admin });
    expect(gone.status).toBe(403);
    expect(gone.body.error.code).toBe("TENANT_UNKNOWN");
  });

  it("serves a cached 'active' for at most the TTL when the status changes behind this isolate", async () => {
    const tenantId = await newTenant(api.sql);
    const admin = await token("tenant_admin", tenantId);
    const { app: v1 } = createApi({ database: () => api.sql, logError: () => undefined, tenantStatusTtlMs: 300 });
    const app = new Hono<{ Bindings: ApiBindings }>().route("/v1", v1);
    const get = () => app.request("/v1/secretaries", { headers: { Authorization: `Bearer ${admin}` } }, api.env);
    expect((await get()).status).toBe(200);
    // Another isolate (or a direct database write) suspends it: this one learns within the TTL.
    await api.sql`update tenants set status = 'suspended' where id = ${tenantId}`;
    const deadline = Date.now() + 2000;
    let status = (await get()).status;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await get()).status;
    }
    expect(status).toBe(403);
    // With no cache, the very next request sees a change.
    const { app: uncached } = createApi({ database: () => api.sql, logError: () => undefined, tenantStatusTtlMs: 0 });
    await api.sql`update tenants set status = 'active' where id = ${tenantId}`;
    const res = await new Hono<{ Bindings: ApiBindings }>().route("/v1", uncached).request("/v1/secretaries", { headers: { Authorization: `Bearer ${admin}` } }, api.env);
    expect(res.status).toBe(200);
  });
});
