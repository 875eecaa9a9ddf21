/**
 * Row access scoped by tenant. Every function takes the tenant id as its own
 * argument and puts `tenant_id = $tenant` in its WHERE clause: an id from a
 * path or a body never selects a row on its own. Column names are camelCase
 * here and snake_case in Postgres (the client's transform maps them).
 */
import type postgres from "postgres";
import type { Sql, TransactionSql } from "./client.js";

export type Row = Record<string, unknown> & { id: string; tenantId: string; version: number };
type Query = Sql | TransactionSql;
export type Fragment = postgres.PendingQuery<postgres.Row[]>;

export interface Page {
  limit: number;
  offset: number;
}

function whereTenant(sql: Query, tenantId: string, filters: Fragment[]): Fragment {
  return filters.reduce<Fragment>((all, f) => sql`${all} and ${f}`, sql`tenant_id = ${tenantId}`);
}

/** One page of a tenant's rows, newest first unless `orderBy` says otherwise; fetches one extra row to know whether more follow. */
export async function listRows(sql: Query, table: string, tenantId: string, filters: Fragment[], page: Page, orderBy?: Fragment) {
  const order = orderBy ?? sql`created_at desc, id`;
  const rows = await sql<Row[]>`
    select * from ${sql(table)} where ${whereTenant(sql, tenantId, filters)}
    order by ${order} limit ${page.limit + 1} offset ${page.offset}`;
  const more = rows.length > page.limit;
  return { rows: more ? rows.slice(0, page.limit) : [...rows], nextOffset: more ? page.offset + page.limit : null };
}

export async function getRow(sql: Query, table: string, tenantId: string, id: string, lock = false): Promise<Row | undefined> {
  const [row] = lock
    ? await sql<Row[]>`select * from ${sql(table)} where tenant_id = ${tenantId} and id = ${id} for update`
    : await sql<Row[]>`select * from ${sql(table)} where tenant_id = ${tenantId} and id = ${id}`;
  return row;
}

/** Inserts `values` (camelCase keys, tenantId included by the caller's scope). */
export async function insertRow(sql: Query, table: string, tenantId: string, values: Record<string, unknown>): Promise<Row> {
  const row = { ...values, tenantId };
  const [inserted] = await sql<Row[]>`insert into ${sql(table)} ${sql(row as Record<string, postgres.ParameterOrJSON<never>>)} returning *`;
  return inserted!;
}

/**
 * Updates one row under a row lock: the caller's transaction sees the row
 * before and after, and two concurrent updates apply one after the other.
 * `expectedVersion` (from If-Match) refuses a stale write.
 */
export async function updateRow(
  tx: TransactionSql,
  table: string,
  tenantId: string,
  id: string,
  values: Record<string, unknown>,
  expectedVersion?: number,
): Promise<{ before: Row; after: Row } | "not_found" | "version_mismatch"> {
  const before = await getRow(tx, table, tenantId, id, true);
  if (!before) return "not_found";
  if (expectedVersion !== undefined && before.version !== expectedVersion) return "version_mismatch";
  const set = { ...values, version: before.version + 1, updatedAt: new Date() };
  const [after] = await tx<Row[]>`
    update ${tx(table)} set ${tx(set as Record<string, postgres.ParameterOrJSON<never>>)}
    where tenant_id = ${tenantId} and id = ${id} returning *`;
  return { before, after: after! };
}

export async function deleteRow(tx: TransactionSql, table: string, tenantId: string, id: string): Promise<Row | undefined> {
  const [row] = await tx<Row[]>`delete from ${tx(table)} where tenant_id = ${tenantId} and id = ${id} returning *`;
  return row;
}
