/** Every route, as a tenant admin (and the operator where only it may). */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOfNewTenant, call, testApi, token, type TestApi } from "./support.js";

let api: TestApi;
let tenantId: string;
let admin: string;

beforeAll(async () => {
  api = testApi();
  ({ tenantId, admin } = await adminOfNewTenant(api));
});
afterAll(() => api.close());

const businessHours = { timeZone: "America/Sao_Paulo", groups: [{ wday: "2-6", "time-of-day": "08:00-18:00" }], holidays: { christmas_day: { mday: "25", mon: "12" } } };

describe("secretaries, providers, transfers", () => {
  it("creates, reads, lists, updates and deletes a full configuration", async () => {
    const provider = await call(api, "POST", "/v1/providers", { token: admin, body: { name: "OpenAI", kind: "realtime", vendor: "openai", model: "gpt-realtime", apiKey: "sk-test-0123456789abcdefWXYZ" } });
    expect(provider.status).toBe(201);
    expect(provider.body).toMatchObject({ hasApiKey: true, apiKeyLast4: "WXYZ", vendor: "openai" });
    expect(JSON.stringify(provider.body)).not.toContain("0123456789abcdef");

    const body = {
      name: "Recepção", extension: "8000", processingMode: "realtime", providerId: provider.body.id, voice: "marin", language: "pt-BR",
      systemPrompt: "Você é a recepcionista.", greeting: "Olá!", farewell: "Tchau!", handoffEnabled: true, handoffKeywords: ["atendente"],
      handoffTimeoutSeconds: 25, maxAiTurns: 10, transferExtension: "200", presenceCheckEnabled: false, businessHours,
      fallbackToTicketEnabled: true, ticketQueueId: "7", omniplayCompanyId: "42", vad: { type: "server_vad", threshold: 0.6 },
    };
    const created = await call(api, "POST", "/v1/secretaries", { token: admin, body });
    expect(created.body.error).toBeUndefined();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, fallbackProviderId: null, version: 1 });
    expect(created.body).not.toHaveProperty("tenantId");
    const id = created.body.id as string;

    const got = await call(api, "GET", `/v1/secretaries/${id}`, { token: admin });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("ETag")).toBe('"1"');

    const minimal = await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "Noite", extension: "8001" } });
    expect(minimal.body).toMatchObject({ processingMode: "auto", language: "pt-BR", handoffKeywords: ["atendente", "humano", "pessoa", "operador"], maxAiTurns: 20 });

    const list = await call(api, "GET", "/v1/secretaries?limit=1", { token: admin });
    expect(list.body).toMatchObject({ limit: 1, offset: 0, nextOffset: 1 });
    expect(list.body.items.map((s: { extension: string }) => s.extension)).toEqual(["8000"]);
    const page2 = await call(api, "GET", "/v1/secretaries?limit=1&offset=1", { token: admin });
    expect(page2.body).toMatchObject({ nextOffset: null, items: [{ extension: "8001" }] });
    const filtered = await call(api, "GET", "/v1/secretaries?extension=8001", { token: admin });
    expect(filtered.body.items).toHaveLength(1);

    const patched = await call(api, "PATCH", `/v1/secretaries/${id}`, { token: admin, body: { greeting: "Bom dia!", businessHours: null }, headers: { "If-Match": '"1"' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ greeting: "Bom dia!", businessHours: null, version: 2, name: "Recepção" });
    const stale = await call(api, "PATCH", `/v1/secretaries/${id}`, { token: admin, body: { greeting: "x" }, headers: { "If-Match": '"1"' } });
    expect(stale.status).toBe(412);

    const dest = await call(api, "POST", "/v1/transfer-destinations", { token: admin, body: { name: "Vendas", extension: "201", context: "pbx.example.com" } });
    expect(dest.status).toBe(201);
    expect(dest.body).toMatchObject({ kind: "extension", context: "pbx.example.com" });
    const rule = await call(api, "POST", "/v1/transfer-rules", { token: admin, body: { secretaryId: id, destinationId: dest.body.id, department: "vendas", phrases: ["comprar"] } });
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ priority: 0, phrases: ["comprar"] });
    const rules = await call(api, "GET", `/v1/transfer-rules?secretaryId=${id}`, { token: admin });
    expect(rules.body.items).toHaveLength(1);
    expect((await call(api, "PATCH", `/v1/transfer-rules/${rule.body.id}`, { token: admin, body: { priority: 5 } })).body.priority).toBe(5);
    expect((await call(api, "PATCH", `/v1/transfer-destinations/${dest.body.id}`, { token: admin, body: { kind: "ring_group" } })).body.kind).toBe("ring_group");
    expect((await call(api, "GET", `/v1/transfer-destinations/${dest.body.id}`, { token: admin })).status).toBe(200);
    expect((await call(api, "GET", `/v1/transfer-destinations`, { token: admin })).body.items).toHaveLength(1);
    expect((await call(api, "GET", `/v1/transfer-rules/${rule.body.id}`, { token: admin })).status).toBe(200);

    const providers = await call(api, "GET", "/v1/providers?kind=realtime", { token: admin });
    expect(providers.body.items).toHaveLength(1);
    expect((await call(api, "GET", `/v1/providers/${provider.body.id}`, { token: admin })).body.hasApiKey).toBe(true);
    const cleared = await call(api, "PATCH", `/v1/providers/${provider.body.id}`, { token: admin, body: { apiKey: null } });
    expect(cleared.body).toMatchObject({ hasApiKey: false, apiKeyLast4: null });

    expect((await call(api, "DELETE", `/v1/transfer-rules/${rule.body.id}`, { token: admin })).status).toBe(204);
    expect((await call(api, "DELETE", `/v1/transfer-destinations/${dest.body.id}`, { token: admin })).status).toBe(204);
    expect((await call(api, "DELETE", `/v1/secretaries/${id}`, { token: admin })).status).toBe(204);
    expect((await call(api, "GET", `/v1/secretaries/${id}`, { token: admin })).status).toBe(404);
    expect((await call(api, "DELETE", `/v1/secretaries/${id}`, { token: admin })).status).toBe(404);
    expect((await call(api, "DELETE", `/v1/providers/${provider.body.id}`, { token: admin })).status).toBe(204);
  });
});

describe("conversations", () => {
  it("records calls and searches them by date, caller, outcome and secretary", async () => {
    const service = await token("service", tenantId, { sub: "call-session" });
    const sec = await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "Conv", extension: "8100" } });
    const rows = [
      { caller: "+5511999990001", startedAt: "2026-11-01T10:00:00Z", outcome: "transferred", secretaryId: sec.body.id },
      { caller: "+5511999990002", startedAt: "2026-11-02T10:00:00Z", outcome: "ticket_created", ticketId: "T-1", secretaryId: null },
      { caller: "+5521888880003", startedAt: "2026-11-03T10:00:00-03:00", outcome: "ticket_created", secretaryId: sec.body.id },
    ];
    for (const r of rows) {
      const res = await call(api, "POST", "/v1/conversations", {
        token: service,
        body: { callId: randomUUID(), ...r, durationSeconds: 42.5, turns: 3, avgLatencyMs: 640, transcript: [{ role: "caller", text: "Oi", timestamp: r.startedAt }], summary: "s", handoffReason: "keyword_detected", provider: "openai" },
      });
      expect(res.status).toBe(201);
    }
    const search = async (q: string) => (await call(api, "GET", `/v1/conversations?${q}`, { token: admin })).body.items.map((c: { caller: string }) => c.caller);
    expect(await search("")).toEqual(["+5521888880003", "+5511999990002", "+5511999990001"]);
    expect(await search("outcome=ticket_created")).toEqual(["+5521888880003", "+5511999990002"]);
    expect(await search("caller=5511")).toEqual(["+5511999990002", "+5511999990001"]);
    expect(await search(`secretaryId=${sec.body.id}`)).toEqual(["+5521888880003", "+5511999990001"]);
    expect(await search("from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z")).toEqual(["+5511999990002"]);
    expect(await search("caller=%25")).toEqual([]);
    const one = (await call(api, "GET", "/v1/conversations?outcome=transferred", { token: admin })).body.items[0];
    expect(one).toMatchObject({ durationSeconds: 42.5, turns: 3, transcript: [{ role: "caller", text: "Oi" }] });
    const fixed = await call(api, "PATCH", `/v1/conversations/${one.id}`, { token: service, body: { summary: "corrigido" } });
    expect(fixed.body.summary).toBe("corrigido");
    expect((await call(api, "GET", `/v1/conversations/${one.id}`, { token: admin })).body.summary).toBe("corrigido");
    expect((await call(api, "DELETE", `/v1/conversations/${one.id}`, { token: service })).status).toBe(403);
    expect((await call(api, "DELETE", `/v1/conversations/${one.id}`, { token: admin })).status).toBe(204);
  });
});

describe("relays, OmniPlay, audit, tenants, OpenAPI", () => {
  it("issues a relay token once, lists, renames and revokes", async () => {
    const created = await call(api, "POST", "/v1/relays", { token: admin, body: { name: "PBX São Paulo" } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rly_/);
    expect(created.body.relay.tokenHint).toBe(created.body.token.slice(0, 10));
    const id = created.body.relay.id as string;
    const list = await call(api, "GET", "/v1/relays", { token: admin });
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(id);
    expect((await call(api, "PATCH", `/v1/relays/${id}`, { token: admin, body: { name: "PBX SP" } })).body.name).toBe("PBX SP");
    expect((await call(api, "GET", `/v1/relays/${id}`, { token: admin })).body).not.toHaveProperty("token");
    const revoked = await call(api, "DELETE", `/v1/relays/${id}`, { token: admin });
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await call(api, "GET", "/v1/relays", { token: admin })).body.items.map((r: { id: string }) => r.id)).not.toContain(id);
    expect((await call(api, "GET", "/v1/relays?includeRevoked=true", { token: admin })).body.items.map((r: { id: string }) => r.id)).toContain(id);
  });

  it("stores OmniPlay settings with a write-only token", async () => {
    expect((await call(api, "GET", "/v1/omniplay", { token: admin })).status).toBe(404);
    const put = await call(api, "PUT", "/v1/omniplay", { token: admin, body: { baseUrl: "https://omni.example.com", serviceToken: "svc-token-0123456789-ABCD" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ baseUrl: "https://omni.example.com", hasServiceToken: true, serviceTokenLast4: "ABCD" });
    const keep = await call(api, "PUT", "/v1/omniplay", { token: admin, body: { baseUrl: "https://omni2.example.com" } });
    expect(keep.body).toMatchObject({ hasServiceToken: true, version: 2 });
    expect((await call(api, "GET", "/v1/omniplay", { token: admin })).body.baseUrl).toBe("https://omni2.example.com");
    expect((await call(api, "DELETE", "/v1/omniplay", { token: admin })).status).toBe(204);
  });

  it("keeps an audit log with secrets redacted", async () => {
    const log = await call(api, "GET", "/v1/audit-log?limit=200", { token: admin });
    expect(log.status).toBe(200);
    const actions = log.body.items.map((e: { action: string; entity: string }) => `${e.action} ${e.entity}`);
    expect(actions).toEqual(expect.arrayContaining(["create secretary", "update secretary", "delete secretary", "create provider", "revoke relay", "update omniplay settings"]));
    const text = JSON.stringify(log.body);
    expect(text).not.toContain("0123456789abcdef");
    expect(text).not.toContain("svc-token");
    expect(text).toContain("apiKey: [redacted]");
    const update = log.body.items.find((e: { action: string; entity: string }) => e.action === "update" && e.entity === "secretary");
    expect(update.before.greeting).toBe("Olá!");
    expect(update.after.greeting).toBe("Bom dia!");
    expect(update.actorSub).toBe("tenant_admin-user");
    const filtered = await call(api, "GET", "/v1/audit-log?entity=relay", { token: admin });
    expect(filtered.body.items.every((e: { entity: string }) => e.entity === "relay")).toBe(true);
  });

  it("lets the operator manage tenants and act on one with X-Tenant-Id", async () => {
    const op = await token("operator", null, { sub: "ops" });
    const slug = `acme-${randomUUID().slice(0, 8)}`;
    const created = await call(api, "POST", "/v1/tenants", { token: op, body: { name: "Acme", slug } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(api, "GET", "/v1/tenants?limit=200", { token: op })).body.items.map((t: { id: string }) => t.id)).toContain(id);
    expect((await call(api, "PATCH", `/v1/tenants/${id}`, { token: op, body: { status: "suspended" } })).body.status).toBe("suspended");
    expect((await call(api, "POST", "/v1/tenants", { token: op, body: { name: "Dup", slug } })).status).toBe(409);
    const sec = await call(api, "POST", "/v1/secretaries", { token: op, body: { name: "Op", extension: "9000" }, headers: { "X-Tenant-Id": id } });
    expect(sec.status).toBe(201);
    expect((await call(api, "GET", "/v1/secretaries", { token: op })).status).toBe(400);
    const own = await call(api, "GET", `/v1/tenants/${tenantId}`, { token: admin });
    expect(own.body.id).toBe(tenantId);
    expect((await call(api, "DELETE", `/v1/tenants/${id}`, { token: op })).status).toBe(204);
    expect((await call(api, "GET", `/v1/tenants/${id}`, { token: op })).status).toBe(404);
  });

  it("serves an OpenAPI 3.1 document of every route, without a token", async () => {
    const doc = await call(api, "GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const mounted = api.routes.routes.map((r) => `${r.method.toUpperCase()} /v1${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(documented.sort()).toEqual(mounted.sort());
    const honoRoutes = api.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(new Set(honoRoutes)).toEqual(new Set(documented));
    const create = doc.body.paths["/v1/secretaries"].post.requestBody.content["application/json"].schema;
    expect(create.required).toEqual(["name", "extension"]);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.systemPrompt.maxLength).toBe(20000);
  });
});
