/**
 * Tenants: the operator creates, lists, updates and deletes them; a tenant's
 * own tokens may read their own tenant, and nothing else (404). Suspending a
 * tenant (`status: "suspended"`) shuts its own tokens out of the whole API
 * (auth/tenant-status.ts); the operator still manages it.
 */
import type { Hono } from "hono";
import type { Row } from "../../db/tenant-rows.js";
import { writeAudit } from "../../db/audit-log.js";
import { invalidateTenantConfig } from "../../config/config-cache.js";
import type { TenantStatusCache } from "../auth/tenant-status.js";
import type { ApiBindings } from "../bindings.js";
import { apiError, notFound } from "../errors.js";
import type { RouteRegistry } from "../openapi.js";
import type { Guard } from "../resource.js";
import { listOf, pageQuery, pick } from "../schemas/common.js";
import { tenantCreate, tenantOutput, tenantUpdate } from "../schemas/tenancy.js";
import { ifMatchVersion, parseBody, parseQuery, pathId } from "../validate.js";

const toApi = (row: Row) => pick(row, tenantOutput);
const tag = "Tenants";

export function mountTenants(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard, statuses: TenantStatusCache): void {
  const query = pageQuery.strict();
  registry.add({ method: "get", path: "/tenants", summary: "List tenants", tag, access: "operator", query, response: listOf(tenantOutput) });
  app.get("/tenants", guard("operator"), async (c) => {
    const q = parseQuery(c, query);
    const rows = await c.get("sql")<Row[]>`select * from tenants order by created_at, id limit ${q.limit + 1} offset ${q.offset}`;
    const more = rows.length > q.limit;
    return c.json({ items: rows.slice(0, q.limit).map(toApi), limit: q.limit, offset: q.offset, nextOffset: more ? q.offset + q.limit : null });
  });

  registry.add({ method: "post", path: "/tenants", summary: "Create a tenant", tag, access: "operator", body: tenantCreate, response: tenantOutput, status: 201 });
  app.post("/tenants", guard("operator"), async (c) => {
    const input = await parseBody(c, tenantCreate);
    const principal = c.get("principal");
    const row = await c.get("sql").begin(async (tx) => {
      const [inserted] = await tx<Row[]>`insert into tenants ${tx(input)} returning *`;
      await writeAudit(tx, { tenantId: inserted!.id, actorSub: principal.sub, actorRole: principal.role, action: "create", entity: "tenant", entityId: inserted!.id, before: null, after: toApi(inserted!) });
      return inserted!;
    });
    return c.json(toApi(row), 201);
  });

  registry.add({ method: "get", path: "/tenants/:id", summary: "Get a tenant (operators: any; others: their own)", tag, access: "read", response: tenantOutput });
  app.get("/tenants/:id", guard("read"), async (c) => {
    const id = pathId(c, "tenant");
    const principal = c.get("principal");
    if (principal.role !== "operator" && principal.tenantId !== id) throw notFound("tenant");
    const [row] = await c.get("sql")<Row[]>`select * from tenants where id = ${id}`;
    if (!row) throw notFound("tenant");
    c.header("ETag", `"${row.version}"`);
    return c.json(toApi(row));
  });

  registry.add({ method: "patch", path: "/tenants/:id", summary: "Update a tenant", tag, access: "operator", body: tenantUpdate, response: tenantOutput });
  app.patch("/tenants/:id", guard("operator"), async (c) => {
    const id = pathId(c, "tenant");
    const expected = ifMatchVersion(c);
    const input = await parseBody(c, tenantUpdate);
    const principal = c.get("principal");
    const result = await c.get("sql").begin(async (tx) => {
      const [before] = await tx<Row[]>`select * from tenants where id = ${id} for update`;
      if (!before) return "NOT_FOUND" as const;
      if (expected !== undefined && before.version !== expected) return "version_mismatch" as const;
      const [after] = await tx<Row[]>`update tenants set ${tx({ ...input, version: before.version + 1, updatedAt: new Date() })} where id = ${id} returning *`;
      await writeAudit(tx, { tenantId: id, actorSub: principal.sub, actorRole: principal.role, action: "update", entity: "tenant", entityId: id, before: toApi(before), after: toApi(after!) });
      return after!;
    });
    if (result === "NOT_FOUND") throw notFound("tenant");
    if (result === "version_mismatch") throw apiError(412, "PRECONDITION_FAILED", "the tenant changed since you read it (If-Match)");
    invalidateTenantConfig(id);
    statuses.invalidate(id);
    return c.json(toApi(result));
  });

  registry.add({ method: "delete", path: "/tenants/:id", summary: "Delete a tenant and everything it owns", tag, access: "operator" });
  app.delete("/tenants/:id", guard("operator"), async (c) => {
    const id = pathId(c, "tenant");
    const principal = c.get("principal");
    const deleted = await c.get("sql").begin(async (tx) => {
      const [row] = await tx<Row[]>`delete from tenants where id = ${id} returning *`;
      if (row) await writeAudit(tx, { tenantId: null, actorSub: principal.sub, actorRole: principal.role, action: "delete", entity: "tenant", entityId: id, before: toApi(row), after: null });
      return row;
    });
    if (!deleted) throw notFound("tenant");
    invalidateTenantConfig(id);
    statuses.invalidate(id);
    return c.body(null, 204);
  });
}
