/**
 * Revoking a relay closes its open link: the API asks the relay's RelayHub
 * (named by the relay id) to `revoke`, after the revocation is committed,
 * and only for a relay of the caller's tenant. The hub's side runs in
 * workerd (workers/api/hyperdrive.pg.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayHubNamespaceLike } from "../../workers/api/bindings.js";
import { adminOfNewTenant, call, testApi, type TestApi } from "./support.js";

const revoked: { relayId: string; reason: string; committed: boolean }[] = [];
let failNext = false;
let api: TestApi;

const hubs: RelayHubNamespaceLike = {
  idFromName: (name) => ({ name }),
  get: (id) => ({
    revoke: async (reason) => {
      const relayId = (id as { name: string }).name;
      const [row] = await api.sql<{ revokedAt: Date | null }[]>`select revoked_at from relays where id = ${relayId}`;
      revoked.push({ relayId, reason, committed: row?.revokedAt != null });
      if (failNext) throw new Error("hub unreachable");
    },
  }),
};

beforeAll(() => {
  api = testApi({ RELAY_HUB: hubs });
});
afterAll(() => api.close());

describe("revoking a relay", () => {
  it("asks the relay's hub to close its live link once the revocation is committed", async () => {
    const { admin } = await adminOfNewTenant(api);
    const other = await adminOfNewTenant(api);
    const created = await call(api, "POST", "/v1/relays", { token: admin, body: { name: "PBX" } });
    const id = created.body.relay.id as string;

    expect((await call(api, "DELETE", `/v1/relays/${id}`, { token: other.admin })).status).toBe(404);
    expect(revoked).toEqual([]);

    expect((await call(api, "DELETE", `/v1/relays/${id}`, { token: admin })).status).toBe(200);
    expect(revoked).toEqual([{ relayId: id, reason: expect.stringMatching(/revoked/), committed: true }]);
  });

  it("still answers 200 (the token is revoked) when the hub cannot be reached", async () => {
    const { admin } = await adminOfNewTenant(api);
    const id = (await call(api, "POST", "/v1/relays", { token: admin, body: { name: "PBX 2" } })).body.relay.id as string;
    failNext = true;
    const res = await call(api, "DELETE", `/v1/relays/${id}`, { token: admin });
    failNext = false;
    expect(res.status).toBe(200);
    expect(res.body.revokedAt).not.toBeNull();
    expect(revoked.at(-1)).toMatchObject({ relayId: id, committed: true });
  });
});
