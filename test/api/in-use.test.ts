/**
 * Deleting an object others still reference is refused with 409 IN_USE,
 * naming how many: an AI provider used by secretaries (as provider or
 * fallback), a transfer destination used by transfer rules. `?force=true`
 * deletes anyway and lets the foreign key's action apply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOfNewTenant, call, testApi, type TestApi } from "./support.js";

let api: TestApi;
let admin: string;

beforeAll(async () => {
  api = testApi();
  ({ admin } = await adminOfNewTenant(api));
});
afterAll(() => api.close());

const post = async (path: string, body: unknown) => {
  const res = await call(api, "POST", path, { token: admin, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};

describe("deleting a referenced object", () => {
  it("refuses to delete a provider that secretaries use, naming how many; force clears the references", async () => {
    const provider = await post("/v1/providers", { name: "Main", kind: "realtime", vendor: "openai" });
    const spare = await post("/v1/providers", { name: "Spare", kind: "realtime", vendor: "openai" });
    const a = await post("/v1/secretaries", { name: "A", extension: "8000", providerId: provider });
    const b = await post("/v1/secretaries", { name: "B", extension: "8001", providerId: spare, fallbackProviderId: provider });

    const refused = await call(api, "DELETE", `/v1/providers/${provider}`, { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("IN_USE");
    expect(refused.body.error.message).toMatch(/used by 2 secretaries/);
    expect((await call(api, "GET", `/v1/providers/${provider}`, { token: admin })).status).toBe(200);
    expect((await call(api, "GET", `/v1/secretaries/${a}`, { token: admin })).body.providerId).toBe(provider);

    await call(api, "PATCH", `/v1/secretaries/${a}`, { token: admin, body: { providerId: spare } });
    const one = await call(api, "DELETE", `/v1/providers/${provider}?force=false`, { token: admin });
    expect(one.status).toBe(409);
    expect(one.body.error.message).toMatch(/used by 1 secretary\b/);

    expect((await call(api, "DELETE", `/v1/providers/${provider}?force=yes`, { token: admin })).status).toBe(400);
    expect((await call(api, "DELETE", `/v1/providers/${provider}?force=true`, { token: admin })).status).toBe(204);
    expect((await call(api, "GET", `/v1/secretaries/${b}`, { token: admin })).body).toMatchObject({ providerId: spare, fallbackProviderId: null });
  });

  it("deletes a provider nobody uses", async () => {
    const unused = await post("/v1/providers", { name: "Unused", kind: "llm", vendor: "openai" });
    expect((await call(api, "DELETE", `/v1/providers/${unused}`, { token: admin })).status).toBe(204);
    expect((await call(api, "DELETE", `/v1/providers/${unused}`, { token: admin })).status).toBe(404);
  });

  it("refuses to delete a transfer destination that transfer rules use; force deletes those rules", async () => {
    const secretary = await post("/v1/secretaries", { name: "T", extension: "8100" });
    const destination = await post("/v1/transfer-destinations", { name: "Suporte", extension: "201" });
    const rules = [
      await post("/v1/transfer-rules", { secretaryId: secretary, destinationId: destination, department: "suporte" }),
      await post("/v1/transfer-rules", { secretaryId: secretary, destinationId: destination, department: "técnico" }),
      await post("/v1/transfer-rules", { secretaryId: secretary, destinationId: destination, department: "ajuda" }),
    ];
    const refused = await call(api, "DELETE", `/v1/transfer-destinations/${destination}`, { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("IN_USE");
    expect(refused.body.error.message).toMatch(/used by 3 transfer rules/);
    for (const id of rules) expect((await call(api, "GET", `/v1/transfer-rules/${id}`, { token: admin })).status).toBe(200);

    expect((await call(api, "DELETE", `/v1/transfer-destinations/${destination}?force=true`, { token: admin })).status).toBe(204);
    for (const id of rules) expect((await call(api, "GET", `/v1/transfer-rules/${id}`, { token: admin })).status).toBe(404);
  });

  it("documents force on those deletes only", async () => {
    const doc = (await call(api, "GET", "/v1/openapi.json")).body;
    const names = (path: string) => (doc.paths[path].delete.parameters as { name: string }[]).map((p) => p.name);
    expect(names("/v1/providers/{id}")).toContain("force");
    expect(names("/v1/transfer-destinations/{id}")).toContain("force");
    expect(names("/v1/secretaries/{id}")).not.toContain("force");
  });
});
