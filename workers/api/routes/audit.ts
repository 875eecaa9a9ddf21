/** The audit log of the tenant, newest first. */
import type { Hono } from "hono";
import { listRows, type Row } from "../../db/tenant-rows.js";
import type { ApiBindings } from "../bindings.js";
import type { RouteRegistry } from "../openapi.js";
import type { Guard } from "../resource.js";
import { listOf, pick } from "../schemas/common.js";
import { auditOutput, auditQuery } from "../schemas/tenancy.js";
import { parseQuery } from "../validate.js";

export function mountAudit(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard): void {
  registry.add({ method: "get", path: "/audit-log", summary: "Who changed what, when (secrets redacted)", tag: "Audit", access: "audit", query: auditQuery, response: listOf(auditOutput) });
  app.get("/audit-log", guard("audit"), async (c) => {
    const q = parseQuery(c, auditQuery);
    const sql = c.get("sql");
    const filters = [
      ...(q.entity ? [sql`entity = ${q.entity}`] : []),
      ...(q.entityId ? [sql`entity_id = ${q.entityId}`] : []),
      ...(q.from ? [sql`at >= ${q.from}`] : []),
      ...(q.to ? [sql`at < ${q.to}`] : []),
    ];
    const page = await listRows(sql, "audit_log", c.get("tenantId"), filters, q, sql`at desc, id desc`);
    return c.json({ items: page.rows.map((r: Row) => pick(r, auditOutput)), limit: q.limit, offset: q.offset, nextOffset: page.nextOffset });
  });
}
