/** Authentication failures: missing, expired, forged, malformed, wrong role, wrong algorithm, misconfiguration. */
import { generateKeyPairSync } from "node:crypto";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOfNewTenant, call, JWT_SECRET, testApi, token, type TestApi } from "./support.js";

let api: TestApi;
let tenantId: string;
let admin: string;

beforeAll(async () => {
  api = testApi();
  ({ tenantId, admin } = await adminOfNewTenant(api));
});
afterAll(() => api.close());

const now = () => Math.floor(Date.now() / 1000);

describe("JWT authentication", () => {
  it("401 without a token, with a malformed header, or a forged signature", async () => {
    expect((await call(api, "GET", "/v1/secretaries")).status).toBe(401);
    const res = await call(api, "GET", "/v1/secretaries", { headers: { Authorization: "Basic abc" } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
    const forged = await token("tenant_admin", tenantId, { secret: "another-secret-0123456789abcdef0123" });
    expect((await call(api, "GET", "/v1/secretaries", { token: forged })).status).toBe(401);
    expect((await call(api, "GET", "/v1/secretaries", { token: `${admin}x` })).status).toBe(401);
  });

  it("401 on an expired token, saying so", async () => {
    const expired = await token("tenant_admin", tenantId, { expiresIn: -60 });
    const res = await call(api, "GET", "/v1/secretaries", { token: expired });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("token expired");
  });

  it("401 on claims that do not say who and where", async () => {
    const cases = [
      { sub: "x", role: "tenant_admin", exp: now() + 60 },
      { sub: "x", role: "superuser", tenant_id: tenantId, exp: now() + 60 },
      { sub: "x", role: "tenant_admin", tenant_id: "not-a-uuid", exp: now() + 60 },
      { sub: "x", role: "tenant_admin", tenant_id: tenantId },
      { role: "tenant_admin", tenant_id: tenantId, exp: now() + 60 },
    ];
    for (const claims of cases) {
      const res = await call(api, "GET", "/v1/secretaries", { token: await sign(claims, JWT_SECRET, "HS256") });
      expect(res.status, JSON.stringify(claims)).toBe(401);
    }
  });

  it("403 for a role without the right, before any lookup", async () => {
    const viewer = await token("tenant_viewer", tenantId);
    expect((await call(api, "GET", "/v1/secretaries", { token: viewer })).status).toBe(200);
    const write = await call(api, "POST", "/v1/secretaries", { token: viewer, body: { name: "x", extension: "1" } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("FORBIDDEN");
    const service = await token("service", tenantId);
    expect((await call(api, "PATCH", "/v1/secretaries/00000000-0000-4000-8000-000000000000", { token: service, body: {} })).status).toBe(403);
    expect((await call(api, "GET", "/v1/audit-log", { token: service })).status).toBe(403);
    expect((await call(api, "GET", "/v1/tenants", { token: admin })).status).toBe(403);
    expect((await call(api, "POST", "/v1/secrets/reseal", { token: admin })).status).toBe(403);
  });

  it("404 for another tenant's tenant record", async () => {
    const other = await adminOfNewTenant(api);
    expect((await call(api, "GET", `/v1/tenants/${other.tenantId}`, { token: admin })).status).toBe(404);
  });

  it("verifies RS256 with a public key, and refuses an HS256 token signed with that public key", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pub = publicKey.export({ type: "spki", format: "pem" }).toString();
    const priv = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const rs = testApi({ JWT_ALG: "RS256", JWT_PUBLIC_KEY: pub, JWT_SECRET: undefined });
    try {
      const good = await sign({ sub: "a", role: "tenant_admin", tenant_id: tenantId, exp: now() + 60 }, priv, "RS256");
      expect((await call(rs, "GET", "/v1/secretaries", { token: good })).status).toBe(200);
      const confused = await sign({ sub: "a", role: "tenant_admin", tenant_id: tenantId, exp: now() + 60 }, pub, "HS256");
      expect((await call(rs, "GET", "/v1/secretaries", { token: confused })).status).toBe(401);
      expect((await call(rs, "GET", "/v1/secretaries", { token: admin })).status).toBe(401);
    } finally {
      await rs.close();
    }
  });

  it("503 naming the problem when authentication is not configured", async () => {
    for (const env of [{ JWT_SECRET: undefined }, { JWT_SECRET: "short" }, { JWT_ALG: "none" }, { JWT_ALG: "RS256", JWT_PUBLIC_KEY: "nope" }]) {
      const broken = testApi(env);
      try {
        const res = await call(broken, "GET", "/v1/secretaries", { token: admin });
        expect(res.status, JSON.stringify(env)).toBe(503);
        expect(res.body.error.code).toBe("SERVER_MISCONFIGURED");
      } finally {
        await broken.close();
      }
    }
  });

  it("503 when a secret must be stored and no master key is configured", async () => {
    const noKey = testApi({ SECRETS_MASTER_KEY: undefined });
    try {
      const res = await call(noKey, "POST", "/v1/providers", { token: admin, body: { name: "p", kind: "llm", vendor: "openai", apiKey: "sk-0123456789abcdef" } });
      expect(res.status).toBe(503);
      expect((await call(noKey, "POST", "/v1/providers", { token: admin, body: { name: "p", kind: "llm", vendor: "openai" } })).status).toBe(201);
    } finally {
      await noKey.close();
    }
  });
});
