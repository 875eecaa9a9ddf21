/**
 * Create, read, update, delete and list for one tenant-owned table, from a
 * declarative spec. Every route is registered for the OpenAPI document and
 * runs the same checks: role, tenant scope (from the token), strict body
 * validation, row lock on update, audit entry in the same transaction.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Fragment, Row } from "../db/tenant-rows.js";
import { deleteRow, getRow, insertRow, listRows, updateRow } from "../db/tenant-rows.js";
import { writeAudit } from "../db/audit-log.js";
import type { Sql, TransactionSql } from "../db/client.js";
import { lastFour, seal, type MasterKeyRing } from "../crypto/secret-box.js";
import { masterKeyRingFromEnv } from "../crypto/master-key-env.js";
import type { ApiBindings } from "./bindings.js";
import type { Access } from "./auth/principal.js";
import { apiError, notFound } from "./errors.js";
import { listOf, pageQuery } from "./schemas/common.js";
import type { RouteRegistry } from "./openapi.js";
import { ifMatchVersion, parseBody, parseQuery, pathId } from "./validate.js";

/** A write-only secret field: `apiKey` → columns `apiKeyCiphertext`, `apiKeyLast4`. */
export interface SecretField {
  field: string;
}

export interface ResourceSpec {
  path: string;
  table: string;
  /** Singular name for messages, the audit log and OpenAPI. */
  entity: string;
  tag: string;
  create: z.ZodObject;
  update: z.ZodObject;
  output: z.ZodType;
  toApi(row: Row): Record<string, unknown>;
  query?: z.ZodObject;
  filters?(sql: Sql, query: Record<string, unknown>): Fragment[];
  orderBy?(sql: Sql): Fragment;
  /** Fields stored as jsonb (wrapped so arrays are not sent as Postgres arrays). */
  json?: readonly string[];
  secrets?: readonly SecretField[];
  access?: { read: Access; write: Access; delete?: Access };
  /** The routes to mount (default: all five). */
  operations?: readonly Operation[];
  /** Called after a committed write (cache invalidation). */
  onWrite?(tenantId: string): void;
  /**
   * Rows of other tables that reference this one. DELETE refuses with 409
   * IN_USE while any do, unless `?force=true` lets the foreign key's own
   * action apply (set null, cascade: `forceEffect` says which).
   */
  inUse?: InUse;
}

export interface InUse {
  /** How many rows reference `id` (run in the deleting transaction, after the row is locked). */
  count(tx: TransactionSql, tenantId: string, id: string): Promise<number>;
  /** What references it, for `n` rows: "2 secretaries (as provider or fallback provider)". */
  describe(n: number): string;
  /** What `?force=true` does to them: "leaves those secretaries without it". */
  forceEffect: string;
}

const deleteQuery = z.strictObject({ force: z.enum(["true", "false"]).default("false") });

type AppEnv = { Bindings: ApiBindings };
export type Operation = "list" | "get" | "create" | "update" | "delete";
/** The middleware a route runs before its handler: authentication, role and tenant scope, database. */
export type Guard = (access: Access) => MiddlewareHandler;

/** Turns validated input into column values: secrets sealed, json wrapped. */
async function toColumns(spec: ResourceSpec, sql: Sql, env: ApiBindings, tenantId: string, rowId: string, input: Record<string, unknown>) {
  const values: Record<string, unknown> = {};
  const secretsChanged: string[] = [];
  let ring: MasterKeyRing | undefined;
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const secret = spec.secrets?.find((s) => s.field === key);
    if (secret) {
      secretsChanged.push(key);
      if (value === null) {
        values[`${key}Ciphertext`] = null;
        values[`${key}Last4`] = null;
        continue;
      }
      ring ??= await masterKeyRingFromEnv(env).catch(() => {
        throw apiError(503, "SERVER_MISCONFIGURED", "secrets cannot be stored: SECRETS_MASTER_KEY is missing or invalid");
      });
      values[`${key}Ciphertext`] = await seal(ring, { tenantId, table: spec.table, column: `${key}Ciphertext`, rowId }, String(value));
      values[`${key}Last4`] = lastFour(String(value));
    } else if (spec.json?.includes(key)) {
      values[key] = value === null ? null : sql.json(value as never);
    } else {
      values[key] = value;
    }
  }
  return { values, secretsChanged };
}

export function mountResource(app: Hono<AppEnv>, registry: RouteRegistry, guard: Guard, spec: ResourceSpec): void {
  const access = spec.access ?? { read: "read", write: "write" };
  const base = spec.path;
  const item = `${base}/:id`;
  const query = (spec.query ?? pageQuery.strict()) as z.ZodObject;
  const list = listOf(spec.output);
  const etag = (row: Row) => `"${row.version}"`;
  const ops = new Set<Operation>(spec.operations ?? ["list", "get", "create", "update", "delete"]);

  if (ops.has("list")) {
    registry.add({ method: "get", path: base, summary: `List ${spec.tag.toLowerCase()}`, tag: spec.tag, access: access.read, query, response: list });
    app.get(base, guard(access.read), async (c) => {
      const q = parseQuery(c, query) as Record<string, unknown> & { limit: number; offset: number };
      const sql = c.get("sql");
      const page = await listRows(sql, spec.table, c.get("tenantId"), spec.filters?.(sql, q) ?? [], q, spec.orderBy?.(sql));
      return c.json({ items: page.rows.map(spec.toApi), limit: q.limit, offset: q.offset, nextOffset: page.nextOffset });
    });
  }

  if (ops.has("get")) {
    registry.add({ method: "get", path: item, summary: `Get a ${spec.entity}`, tag: spec.tag, access: access.read, response: spec.output });
    app.get(item, guard(access.read), async (c) => {
      const row = await getRow(c.get("sql"), spec.table, c.get("tenantId"), pathId(c, spec.entity));
      if (!row) throw notFound(spec.entity);
      c.header("ETag", etag(row));
      return c.json(spec.toApi(row));
    });
  }

  if (ops.has("create")) {
    registry.add({ method: "post", path: base, summary: `Create a ${spec.entity}`, tag: spec.tag, access: access.write, body: spec.create, response: spec.output, status: 201 });
    app.post(base, guard(access.write), async (c) => {
      const input = await parseBody(c, spec.create);
      const tenantId = c.get("tenantId");
      const principal = c.get("principal");
      const sql = c.get("sql");
      const id = crypto.randomUUID();
      const { values, secretsChanged } = await toColumns(spec, sql, c.env, tenantId, id, input);
      const row = await sql.begin(async (tx) => {
        const inserted = await insertRow(tx, spec.table, tenantId, { ...values, id });
        await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "create", entity: spec.entity, entityId: id, before: null, after: spec.toApi(inserted), secretsChanged });
        return inserted;
      });
      spec.onWrite?.(tenantId);
      c.header("ETag", etag(row));
      c.header("Location", `/v1${base}/${id}`);
      return c.json(spec.toApi(row), 201);
    });
  }

  if (ops.has("update")) {
    registry.add({ method: "patch", path: item, summary: `Update a ${spec.entity}`, tag: spec.tag, access: access.write, body: spec.update, response: spec.output });
    app.patch(item, guard(access.write), async (c) => {
      const id = pathId(c, spec.entity);
      const expected = ifMatchVersion(c);
      const input = await parseBody(c, spec.update);
      const tenantId = c.get("tenantId");
      const principal = c.get("principal");
      const sql = c.get("sql");
      const { values, secretsChanged } = await toColumns(spec, sql, c.env, tenantId, id, input);
      const result = await sql.begin(async (tx) => {
        const r = await updateRow(tx, spec.table, tenantId, id, values, expected);
        if (typeof r === "string") return r;
        await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "update", entity: spec.entity, entityId: id, before: spec.toApi(r.before), after: spec.toApi(r.after), secretsChanged });
        return r.after;
      });
      if (result === "not_found") throw notFound(spec.entity);
      if (result === "version_mismatch") throw apiError(412, "PRECONDITION_FAILED", "the object changed since you read it (If-Match)");
      spec.onWrite?.(tenantId);
      c.header("ETag", etag(result));
      return c.json(spec.toApi(result));
    });
  }

  if (ops.has("delete")) {
    const inUse = spec.inUse;
    const summary = inUse ? `Delete a ${spec.entity} (409 IN_USE while referenced, unless force=true)` : `Delete a ${spec.entity}`;
    registry.add({ method: "delete", path: item, summary, tag: spec.tag, access: access.delete ?? access.write, ...(inUse ? { query: deleteQuery } : {}) });
    app.delete(item, guard(access.delete ?? access.write), async (c) => {
      const id = pathId(c, spec.entity);
      const force = inUse ? parseQuery(c, deleteQuery).force === "true" : false;
      const tenantId = c.get("tenantId");
      const principal = c.get("principal");
      const deleted = await c.get("sql").begin(async (tx) => {
        if (inUse && !force) {
          // The lock makes the count exact: a concurrent write that would reference this row
          // waits on it in its foreign-key check (and then fails if the row is gone).
          if (!(await getRow(tx, spec.table, tenantId, id, true))) return undefined;
          const n = await inUse.count(tx, tenantId, id);
          if (n > 0) {
            throw apiError(409, "IN_USE", `the ${spec.entity} is used by ${inUse.describe(n)}: change or delete them first, or delete with ?force=true, which ${inUse.forceEffect}`);
          }
        }
        const row = await deleteRow(tx, spec.table, tenantId, id);
        if (row) await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "delete", entity: spec.entity, entityId: id, before: spec.toApi(row), after: null });
        return row;
      });
      if (!deleted) throw notFound(spec.entity);
      spec.onWrite?.(tenantId);
      return c.body(null, 204);
    });
  }
}
