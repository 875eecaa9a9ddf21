/**
 * Secrets at rest: never returned, never in the audit log, not in a dump of
 * any table, not in any file of the database's data directory (heap, WAL),
 * and they still open where they belong. Rotation re-seals them.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clearConfigCache } from "../../workers/config/config-cache.js";
import { loadSecretaryConfig } from "../../workers/config/secretary-config.js";
import { masterKeyRing, sealedKeyId } from "../../workers/crypto/secret-box.js";
import { adminOfNewTenant, call, MASTER_KEY, testApi, token, type TestApi } from "./support.js";

let api: TestApi;
let tenantId: string;
let admin: string;
let providerId: string;
let secretaryId: string;
// Unique per run, so a hit can only come from this test's writes.
const apiKey = `sk-plaintext-${randomBytes(12).toString("hex")}`;
const serviceToken = `omni-plaintext-${randomBytes(12).toString("hex")}`;

beforeAll(async () => {
  api = testApi();
  ({ tenantId, admin } = await adminOfNewTenant(api));
  providerId = (await call(api, "POST", "/v1/providers", { token: admin, body: { name: "P", kind: "realtime", vendor: "openai", apiKey } })).body.id;
  secretaryId = (await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S", extension: "8000", providerId } })).body.id;
  await call(api, "PUT", "/v1/omniplay", { token: admin, body: { baseUrl: "https://omni.example.com", serviceToken } });
});
afterAll(() => api.close());

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

describe("secrets at rest", () => {
  it("are never returned, nor written to the audit log", async () => {
    const seen = [
      await call(api, "GET", `/v1/providers/${providerId}`, { token: admin }),
      await call(api, "GET", "/v1/providers", { token: admin }),
      await call(api, "GET", "/v1/omniplay", { token: admin }),
      await call(api, "GET", "/v1/audit-log?limit=200", { token: admin }),
    ].map((r) => JSON.stringify(r.body));
    for (const text of seen) {
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(serviceToken);
      expect(text).not.toContain("Ciphertext");
    }
  });

  it("appear in no table of a full dump, nor in any file of the data directory", async () => {
    const tables = await api.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public'`;
    let dump = "";
    for (const { tablename } of tables) dump += JSON.stringify(await api.sql`select * from ${api.sql(tablename)}`);
    expect(dump).toContain(tenantId);
    expect(dump).not.toContain(apiKey);
    expect(dump).not.toContain(serviceToken);

    const dir = inject("databaseDir");
    if (!dir) return; // an external DATABASE_URL: no files to read
    await api.sql`checkpoint`;
    let scanned = 0;
    for await (const file of files(dir)) {
      const bytes = await readFile(file);
      scanned += bytes.byteLength;
      expect(bytes.includes(apiKey), file).toBe(false);
      expect(bytes.includes(serviceToken), file).toBe(false);
    }
    expect(scanned).toBeGreaterThan(1_000_000);
  });

  it("open for the call-time loader, and only there", async () => {
    clearConfigCache();
    const ring = () => masterKeyRing(MASTER_KEY);
    const config = await loadSecretaryConfig(api.sql, ring, tenantId, secretaryId);
    expect(config?.provider?.apiKey).toBe(apiKey);
    expect(config?.omniplay?.serviceToken).toBe(serviceToken);
  });

  it("are re-sealed under a new master key by the operator's reseal, and still open", async () => {
    const newKey = randomBytes(32).toString("base64");
    const rotated = testApi({ SECRETS_MASTER_KEY: newKey, SECRETS_MASTER_KEY_PREVIOUS: MASTER_KEY });
    try {
      const op = await token("operator", null);
      const res = await call(rotated, "POST", "/v1/secrets/reseal", { token: op });
      expect(res.status).toBe(200);
      expect(res.body.resealed).toBeGreaterThanOrEqual(2);
      const again = await call(rotated, "POST", "/v1/secrets/reseal", { token: op });
      expect(again.body.resealed).toBe(0);
      const newRing = await masterKeyRing(newKey);
      const [row] = await api.sql<{ apiKeyCiphertext: string }[]>`select api_key_ciphertext from ai_providers where id = ${providerId}`;
      expect(sealedKeyId(row!.apiKeyCiphertext)).toBe(newRing.current.id);
      clearConfigCache();
      const config = await loadSecretaryConfig(api.sql, async () => newRing, tenantId, secretaryId);
      expect(config?.provider?.apiKey).toBe(apiKey);
      expect(config?.omniplay?.serviceToken).toBe(serviceToken);
    } finally {
      await rotated.close();
    }
  });
});
