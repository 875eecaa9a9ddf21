/**
 * Relays and their tokens. A token is issued when the relay is created,
 * shown in that response only, and stored as its SHA-256. Listing shows a
 * hint; DELETE revokes (the relay's link is refused from then on, and its
 * open link is closed with 4401 by its RelayHub) and keeps the row for the
 * record.
 */
import type { Hono } from "hono";
import { generateRelayToken, hashRelayToken, relayTokenHint } from "../../crypto/relay-token.js";
import { writeAudit } from "../../db/audit-log.js";
import { getRow, insertRow, listRows, type Row } from "../../db/tenant-rows.js";
import type { ApiBindings } from "../bindings.js";
import { notFound, type Logger } from "../errors.js";
import type { RouteRegistry } from "../openapi.js";
import { mountResource, type Guard } from "../resource.js";
import { listOf, pick } from "../schemas/common.js";
import { relayCreate, relayIssued, relayOutput, relayQuery, relayUpdate } from "../schemas/tenancy.js";
import { parseBody, parseQuery, pathId } from "../validate.js";

const toApi = (row: Row) => ({ ...pick(row, relayOutput), tokenHint: row.tokenPrefix });
const tag = "Relays";

/**
 * Closes a revoked relay's open link through its RelayHub. Best effort: the
 * revocation is committed already, the Worker refuses the token's next
 * connection, and the open link gets no new calls either way.
 */
async function closeLiveLink(env: ApiBindings, relayId: string, logError: Logger): Promise<void> {
  const hubs = env.RELAY_HUB;
  if (!hubs) return;
  try {
    await hubs.get(hubs.idFromName(relayId)).revoke("token revoked through the config API");
  } catch (err) {
    logError("relay_link_close_failed", { relayId, error: String(err) });
  }
}

export function mountRelays(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard, logError: Logger): void {
  registry.add({ method: "get", path: "/relays", summary: "List relays (revoked ones with includeRevoked=true)", tag, access: "read", query: relayQuery, response: listOf(relayOutput) });
  app.get("/relays", guard("read"), async (c) => {
    const q = parseQuery(c, relayQuery);
    const sql = c.get("sql");
    const filters = q.includeRevoked === "true" ? [] : [sql`revoked_at is null`];
    const page = await listRows(sql, "relays", c.get("tenantId"), filters, q);
    return c.json({ items: page.rows.map(toApi), limit: q.limit, offset: q.offset, nextOffset: page.nextOffset });
  });

  registry.add({ method: "post", path: "/relays", summary: "Create a relay and issue its token (shown once)", tag, access: "write", body: relayCreate, response: relayIssued, status: 201 });
  app.post("/relays", guard("write"), async (c) => {
    const input = await parseBody(c, relayCreate);
    const tenantId = c.get("tenantId");
    const principal = c.get("principal");
    const token = generateRelayToken();
    const values = { id: crypto.randomUUID(), name: input.name, tokenHash: await hashRelayToken(token), tokenPrefix: relayTokenHint(token) };
    const row = await c.get("sql").begin(async (tx) => {
      const inserted = await insertRow(tx, "relays", tenantId, values);
      await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "create", entity: "relay", entityId: inserted.id, before: null, after: toApi(inserted), secretsChanged: ["token"] });
      return inserted;
    });
    c.header("Cache-Control", "no-store");
    return c.json({ relay: toApi(row), token }, 201);
  });

  registry.add({ method: "delete", path: "/relays/:id", summary: "Revoke a relay's token", tag, access: "write", response: relayOutput });
  app.delete("/relays/:id", guard("write"), async (c) => {
    const id = pathId(c, "relay");
    const tenantId = c.get("tenantId");
    const principal = c.get("principal");
    const revoked = await c.get("sql").begin(async (tx) => {
      const before = await getRow(tx, "relays", tenantId, id, true);
      if (!before) return undefined;
      const [after] = await tx<Row[]>`update relays set revoked_at = coalesce(revoked_at, now()), version = version + 1, updated_at = now()
        where tenant_id = ${tenantId} and id = ${id} returning *`;
      await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "revoke", entity: "relay", entityId: id, before: toApi(before), after: toApi(after!) });
      return after;
    });
    if (!revoked) throw notFound("relay");
    await closeLiveLink(c.env ?? {}, id, logError);
    return c.json(toApi(revoked));
  });

  mountResource(app, registry, guard, {
    path: "/relays",
    table: "relays",
    entity: "relay",
    tag,
    create: relayCreate,
    update: relayUpdate,
    output: relayOutput,
    toApi,
    operations: ["get", "update"],
  });
}
