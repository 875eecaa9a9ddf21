/**
 * The call-time loader: the seeded demo secretary with everything a call
 * needs, a change through the API (or straight in the database, as another
 * isolate would make it) applies to the next call, and the time a load takes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearConfigCache } from "../../workers/config/config-cache.js";
import { loadSecretaryConfig } from "../../workers/config/secretary-config.js";
import { masterKeyRing } from "../../workers/crypto/secret-box.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "../stack/seed.js";
import { adminOfNewTenant, call, MASTER_KEY, testApi, type TestApi } from "./support.js";

let api: TestApi;
const ring = () => masterKeyRing(MASTER_KEY);

beforeAll(() => {
  api = testApi();
});
afterAll(() => api.close());

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe("secretary config at call start", () => {
  it("loads the seeded demo secretary with its providers, departments and OmniPlay", async () => {
    const config = await loadSecretaryConfig(api.sql, ring, DEMO_TENANT_ID, DEMO_SECRETARY_ID);
    expect(config).not.toBeNull();
    expect(config!.secretary).toMatchObject({ extension: "8000", processingMode: "realtime", language: "pt-BR" });
    expect(config!.secretary.businessHours?.holidays).toHaveProperty("christmas_day");
    expect(config!.provider).toMatchObject({ vendor: "openai", kind: "realtime", apiKey: null });
    expect(config!.fallbackProvider).toMatchObject({ vendor: "gemini" });
    expect(config!.transferRules.map((r) => r.department)).toEqual(["vendas", "suporte", "financeiro"]);
    expect(config!.transferRules[0]!.destination).toMatchObject({ extension: "200", context: "demo.local" });
    expect(config!.omniplay).toEqual({ baseUrl: "http://127.0.0.1:8090", serviceToken: null });
  });

  it("returns null for another tenant's secretary, an unknown one, or a suspended tenant", async () => {
    const { tenantId } = await adminOfNewTenant(api);
    expect(await loadSecretaryConfig(api.sql, ring, tenantId, DEMO_SECRETARY_ID)).toBeNull();
    expect(await loadSecretaryConfig(api.sql, ring, DEMO_TENANT_ID, "00000000-0000-4000-8000-000000000000")).toBeNull();
    const { tenantId: t2, admin } = await adminOfNewTenant(api);
    const sec = await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S", extension: "1" } });
    expect(await loadSecretaryConfig(api.sql, ring, t2, sec.body.id)).not.toBeNull();
    await api.sql`update tenants set status = 'suspended' where id = ${t2}`;
    expect(await loadSecretaryConfig(api.sql, ring, t2, sec.body.id)).toBeNull();
  });

  it("applies a change to the next call, whether made through the API or elsewhere", async () => {
    const { tenantId, admin } = await adminOfNewTenant(api);
    const id = (await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S", extension: "1", greeting: "v1" } })).body.id;
    expect((await loadSecretaryConfig(api.sql, ring, tenantId, id))!.secretary.greeting).toBe("v1");
    await call(api, "PATCH", `/v1/secretaries/${id}`, { token: admin, body: { greeting: "v2" } });
    expect((await loadSecretaryConfig(api.sql, ring, tenantId, id))!.secretary.greeting).toBe("v2");
    // Another isolate's write: no in-memory invalidation here, only the version bump.
    await api.sql`update secretaries set greeting = 'v3' where id = ${id}`;
    expect((await loadSecretaryConfig(api.sql, ring, tenantId, id))!.secretary.greeting).toBe("v3");
    const dest = await call(api, "POST", "/v1/transfer-destinations", { token: admin, body: { name: "D", extension: "2" } });
    await call(api, "POST", "/v1/transfer-rules", { token: admin, body: { secretaryId: id, destinationId: dest.body.id, department: "suporte" } });
    expect((await loadSecretaryConfig(api.sql, ring, tenantId, id))!.transferRules).toHaveLength(1);
  });

  it("loads in well under 20 ms at p99 (measured; printed for the issue's note)", async () => {
    const time = async (n: number, cold: boolean) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        if (cold) clearConfigCache();
        const t0 = performance.now();
        await loadSecretaryConfig(api.sql, ring, DEMO_TENANT_ID, DEMO_SECRETARY_ID);
        samples.push(performance.now() - t0);
      }
      return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
    };
    await time(50, false);
    const warm = await time(1000, false);
    const cold = await time(300, true);
    // eslint-disable-next-line no-console -- the issue's note reports these numbers
    console.info(`config load (Node, embedded Postgres): cached p50 ${warm.p50.toFixed(2)} ms p99 ${warm.p99.toFixed(2)} ms; uncached p50 ${cold.p50.toFixed(2)} ms p99 ${cold.p99.toFixed(2)} ms`);
    // Generous bounds: the machine is shared; the note reports the measured numbers.
    expect(warm.p99).toBeLessThan(20);
    expect(cold.p99).toBeLessThan(50);
  });
});
