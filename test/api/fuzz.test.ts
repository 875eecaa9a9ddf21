/**
 * Never a 500: random JSON bodies, random field values grafted onto valid
 * bodies, random ids and queries, on every mounted route (from the route
 * table), as a tenant admin. Every answer is a 2xx/4xx in the one error shape.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOfNewTenant, call, testApi, type TestApi } from "./support.js";

let api: TestApi;
let admin: string;
let secretaryId: string;

beforeAll(async () => {
  api = testApi();
  ({ admin } = await adminOfNewTenant(api));
  secretaryId = (await call(api, "POST", "/v1/secretaries", { token: admin, body: { name: "S", extension: "8000" } })).body.id;
});
afterAll(() => api.close());

const FIELDS = ["name", "extension", "systemPrompt", "businessHours", "vad", "providerId", "secretaryId", "destinationId", "department", "phrases", "transcript", "startedAt", "callId", "apiKey", "baseUrl", "kind", "vendor", "handoffKeywords", "maxAiTurns", "slug", "status", "serviceToken", "context"];

const bodyArb = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue()),
  fc.record({ name: fc.string(), extension: fc.string(), businessHours: fc.jsonValue() }, { requiredKeys: [] }),
);
/** "SECRETARY" stands for a real secretary of the tenant, so item routes also see an existing row. */
const idArb = fc.oneof(fc.uuid(), fc.string(), fc.constant("SECRETARY"));

describe("fuzzing every route", () => {
  it("answers every random request with a 2xx or 4xx in the error shape, never a 5xx", async () => {
    const routes = [...new Map(api.app.routes.filter((r) => r.method !== "ALL").map((r) => [`${r.method} ${r.path}`, r])).values()];
    let requests = 0;
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(bodyArb, idArb, fc.dictionary(fc.constantFrom("limit", "offset", "from", "caller", "outcome", "kind", "extension", "x"), fc.string()), async (body, id, query) => {
          const rawId = id === "SECRETARY" ? secretaryId : id;
          const path = route.path.replace(":id", encodeURIComponent(rawId)) + (Object.keys(query).length ? `?${new URLSearchParams(query)}` : "");
          const hasBody = ["POST", "PATCH", "PUT"].includes(route.method);
          const res = await call(api, route.method, path, { token: admin, body: hasBody ? body : undefined, headers: { "X-Tenant-Id": "ignored" } });
          requests++;
          if (res.status >= 500) throw new Error(`${route.method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body)}`);
          if (res.status >= 400) expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
        }),
        { numRuns: 25 },
      );
    }
    expect(requests).toBeGreaterThanOrEqual(routes.length * 25);
  });
});
