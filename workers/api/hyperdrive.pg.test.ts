/**
 * The config API and the relay link's per-relay tokens inside workerd, the
 * way they run in production: the real Worker (`exports.default.fetch`),
 * Postgres through the Hyperdrive binding (postgres.js over nodejs_compat),
 * JWT and AES-GCM with the runtime's WebCrypto.
 */
import { env, exports } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { callStart, hello, TestRelay } from "../test/relay-link.js";
import { authorizeCall } from "../auth/call-authz.js";
import { authenticateRelay } from "../auth/relay-auth.js";
import { clearConfigCache } from "../config/config-cache.js";
import { secretaryConfigLoader } from "../config/secretary-config.js";
import { RELAY_ID_HEADER, TENANT_ID_HEADER } from "../hub/link-connection.js";

const BASE = "http://cloud.test/v1";
let tenantId: string;
let otherTenantId: string;
let admin: string;
let secretaryId: string;
let otherSecretaryId: string;

async function jwt(claims: Record<string, unknown>): Promise<string> {
  return sign({ sub: "workerd-test", exp: Math.floor(Date.now() / 1000) + 600, ...claims }, env.JWT_SECRET!, "HS256");
}

async function api(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : null }; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever came back
}

beforeAll(async () => {
  const operator = await jwt({ role: "operator" });
  const suffix = crypto.randomUUID().slice(0, 8);
  tenantId = (await api("POST", "/tenants", operator, { name: "Workerd A", slug: `wa-${suffix}` })).body!.id;
  otherTenantId = (await api("POST", "/tenants", operator, { name: "Workerd B", slug: `wb-${suffix}` })).body!.id;
  admin = await jwt({ role: "tenant_admin", tenant_id: tenantId });
  const otherAdmin = await jwt({ role: "tenant_admin", tenant_id: otherTenantId });
  const provider = await api("POST", "/providers", admin, { name: "OpenAI", kind: "realtime", vendor: "openai", apiKey: "sk-workerd-0123456789abcdef" });
  expect(provider.status).toBe(201);
  secretaryId = (await api("POST", "/secretaries", admin, { name: "A", extension: "8000", providerId: provider.body!.id, greeting: "Olá" })).body!.id;
  otherSecretaryId = (await api("POST", "/secretaries", otherAdmin, { name: "B", extension: "8000" })).body!.id;
});

describe("config API in workerd through Hyperdrive", () => {
  it("serves the OpenAPI document and refuses requests without a token, in the one error shape", async () => {
    const doc = await exports.default.fetch(`${BASE}/openapi.json`);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
    const res = await exports.default.fetch(`${BASE}/secretaries`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
  });

  it("writes and reads a secretary; the provider key is sealed with WebCrypto and never returned", async () => {
    const got = await api("GET", `/secretaries/${secretaryId}`, admin);
    expect(got.body).toMatchObject({ extension: "8000", greeting: "Olá" });
    const providers = await api("GET", "/providers", admin);
    expect(providers.body!.items[0]).toMatchObject({ hasApiKey: true, apiKeyLast4: "cdef" });
    expect(JSON.stringify(providers.body)).not.toContain("sk-workerd");
    const other = await api("GET", `/secretaries/${otherSecretaryId}`, admin);
    expect(other.status).toBe(404);
  });

  it("gives the CallSession its config (key opened) and applies the next change; measures the load", async () => {
    clearConfigCache();
    const load = secretaryConfigLoader(env);
    const first = await load(tenantId, secretaryId);
    expect(first?.provider?.apiKey).toBe("sk-workerd-0123456789abcdef");
    await api("PATCH", `/secretaries/${secretaryId}`, admin, { greeting: "Bom dia" });
    expect((await load(tenantId, secretaryId))?.secretary.greeting).toBe("Bom dia");
    expect(await load(otherTenantId, secretaryId)).toBeNull();

    // workerd's clock only advances across I/O (and in whole milliseconds here): per-load
    // percentiles are round trips as a call waits for them; the mean is total time / loads.
    const measure = async (n: number, cold: boolean) => {
      const samples: number[] = [];
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        if (cold) clearConfigCache();
        const t0 = performance.now();
        await load(tenantId, secretaryId);
        samples.push(performance.now() - t0);
      }
      const mean = (performance.now() - start) / n;
      samples.sort((a, b) => a - b);
      const p = (q: number) => samples[Math.ceil(q * samples.length) - 1]!;
      return { p50: p(0.5), p99: p(0.99), mean };
    };
    const warm = await measure(300, false);
    const cold = await measure(100, true);
    const fmt = (m: { p50: number; p99: number; mean: number }) => `p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, mean ${m.mean.toFixed(2)} ms`;
    // eslint-disable-next-line no-console -- the issue's note reports these numbers
    console.info(`config load in workerd via Hyperdrive: cached ${fmt(warm)}; uncached ${fmt(cold)}`);
    // The 20 ms p99 target is a goal reported in the note, not a test assertion: timings on a
    // shared CI machine are noisy. What must hold is that every load completed.
    expect(Number.isFinite(warm.p99) && Number.isFinite(cold.p99)).toBe(true);
  });
});

/** The relay's listing once `ready` holds (the hub records the hello's software after the welcome). */
async function pollRelay(relayId: string, ready: (r: { softwareVersion: string | null; lastSeenAt: string | null }) => boolean) {
  for (let i = 0; ; i++) {
    const relay = (await api("GET", `/relays/${relayId}`, admin)).body! as unknown as { softwareVersion: string | null; lastSeenAt: string | null };
    if (ready(relay) || i >= 100) return relay;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("relay link with per-relay tokens", () => {
  it("accepts an issued token as its relay and tenant, and refuses it once revoked", async () => {
    const issued = await api("POST", "/relays", admin, { name: "PBX A" });
    expect(issued.status).toBe(201);
    const token = issued.body!.token as string;
    const relayId = issued.body!.relay.id as string;
    expect(await authenticateRelay(token, env)).toEqual({ relayId, tenantId });

    const relay = await TestRelay.connect({ token });
    relay.send([hello()]);
    const welcome = await relay.waitForControl("welcome");
    expect(welcome.relayId).toBe(relayId);
    relay.close();
    const listed = await pollRelay(relayId, (r) => r.softwareVersion !== null);
    expect(listed.lastSeenAt).not.toBeNull();
    // The hub records what the relay said in its hello, for the relay listing.
    expect(listed.softwareVersion).toBe("test-relay/0");

    expect((await api("DELETE", `/relays/${relayId}`, admin)).status).toBe(200);
    expect(await authenticateRelay(token, env)).toBeNull();
    const refused = await TestRelay.connect({ token });
    expect((await refused.waitForClose()).code).toBe(4401);
    expect(await authenticateRelay("rly_never-issued-0000000000000000000000000000", env)).toBeNull();
  });

  it("lets a relay start calls only for its own tenant's secretaries, and none once revoked", async () => {
    const relayId = (await api("POST", "/relays", admin, { name: "PBX authz" })).body!.relay.id as string;
    const identity = { relayId, tenantId };
    const call = (secretary: string | undefined) => callStart(crypto.randomUUID(), 1, { secretaryId: secretary }) as Parameters<typeof authorizeCall>[1];
    expect(await authorizeCall(identity, call(secretaryId))).toEqual({ allowed: true });
    expect(await authorizeCall(identity, call(otherSecretaryId))).toMatchObject({ allowed: false });
    expect(await authorizeCall(identity, call(crypto.randomUUID()))).toMatchObject({ allowed: false });
    expect(await authorizeCall(identity, call(undefined))).toMatchObject({ allowed: false, reason: "the call names no secretary" });
    const older = { ...call(undefined), variables: { VOICE_AI_SECRETARY_UUID: secretaryId } };
    expect(await authorizeCall(identity, older)).toEqual({ allowed: true });
    // Another tenant's relay id with this tenant: no.
    expect(await authorizeCall({ relayId: crypto.randomUUID(), tenantId }, call(secretaryId))).toMatchObject({ allowed: false });
    // Revoked while its link is up: new calls are refused at once.
    await api("DELETE", `/relays/${relayId}`, admin);
    expect(await authorizeCall(identity, call(secretaryId))).toMatchObject({ allowed: false });
    // The development fallback (RELAY_TOKEN without a tenant) has nothing to check against.
    expect(await authorizeCall({ relayId: "dev", tenantId: "default" }, call(otherSecretaryId))).toEqual({ allowed: true });
  });

  it("closes the live link of a relay revoked through the API with 4401 'revoked', and refuses a late upgrade", async () => {
    const { body } = await api("POST", "/relays", admin, { name: "PBX revoked live" });
    const relayId = body!.relay.id as string;
    const relay = await TestRelay.connect({ token: body!.token as string });
    relay.send([hello()]);
    await relay.waitForControl("welcome");
    const hub = env.RELAY_HUB.get(env.RELAY_HUB.idFromName(relayId));
    expect((await hub.stats()).connected).toBe(true);

    expect((await api("DELETE", `/relays/${relayId}`, admin)).status).toBe(200);
    expect(await relay.waitForClose()).toEqual({ code: 4401, reason: "revoked" });
    expect((await hub.stats()).connected).toBe(false);

    // An upgrade the Worker authenticated just before the revocation, reaching the hub after it.
    const late = await hub.fetch("http://hub.internal/", { headers: { Upgrade: "websocket", [RELAY_ID_HEADER]: relayId, [TENANT_ID_HEADER]: tenantId } });
    const ws = late.webSocket!;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    ws.accept();
    expect(await closed).toEqual({ code: 4401, reason: "revoked" });
  });

  it("refuses another tenant's secretary on a live link, and serves its own", async () => {
    const { body } = await api("POST", "/relays", admin, { name: "PBX A2" });
    const relay = await TestRelay.connect({ token: body!.token as string });
    relay.send([hello()]);
    await relay.waitForControl("welcome");
    const foreign = crypto.randomUUID();
    relay.send([callStart(foreign, 1, { secretaryId: otherSecretaryId })]);
    const refused = await relay.waitForControl("error", (m) => m.callId === foreign);
    expect(refused.code).toBe("LINK_CALL_REJECTED");
    relay.close();
  });
});
