/**
 * Helpers for the API tests: the API mounted at /v1 over a shared pool,
 * tokens for any role, fresh tenants, and a request function.
 */
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { sign } from "hono/jwt";
import { inject } from "vitest";
import { createApi } from "../../workers/api/app.js";
import type { ApiBindings } from "../../workers/api/bindings.js";
import type { Role } from "../../workers/api/auth/principal.js";
import { notFound } from "../../workers/api/errors.js";
import { createSql, type Sql } from "../../workers/db/client.js";

export const JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789";
/** The same in every test file: they share one database, and the reseal test reads every row. */
export const MASTER_KEY = Buffer.alloc(32, 7).toString("base64");

export interface TestApi {
  app: Hono<{ Bindings: ApiBindings }>;
  routes: ReturnType<typeof createApi>["routes"];
  sql: Sql;
  env: ApiBindings;
  close(): Promise<void>;
}

export function testApi(env: Partial<ApiBindings> = {}): TestApi {
  const sql = createSql(inject("databaseUrl"), { max: 10 });
  const { app: api, routes } = createApi({ database: () => sql, logError: () => undefined });
  const app = new Hono<{ Bindings: ApiBindings }>().route("/v1", api);
  // As the Worker does (workers/index.ts): unmatched paths in the one error shape.
  app.notFound((c) => notFound(`route ${c.req.method} ${c.req.path}`).getResponse());
  return { app, routes, sql, env: { JWT_SECRET, SECRETS_MASTER_KEY: MASTER_KEY, ...env }, close: () => sql.end() };
}

export async function token(role: Role, tenantId: string | null, options: { sub?: string; expiresIn?: number; secret?: string } = {}): Promise<string> {
  const payload: Record<string, unknown> = { sub: options.sub ?? `${role}-user`, role, exp: Math.floor(Date.now() / 1000) + (options.expiresIn ?? 600) };
  if (tenantId) payload.tenant_id = tenantId;
  return sign(payload, options.secret ?? JWT_SECRET, "HS256");
}

/** A tenant of its own for this test, created directly in the database. */
export async function newTenant(sql: Sql, name = "Test tenant"): Promise<string> {
  const id = randomUUID();
  await sql`insert into tenants (id, name, slug) values (${id}, ${name}, ${`t-${id.slice(0, 8)}`})`;
  return id;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  headers: Headers;
}

export async function call(api: TestApi, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await api.app.request(path, { method, headers, body }, api.env);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Admin token and a fresh tenant, the usual start of a test. */
export async function adminOfNewTenant(api: TestApi): Promise<{ tenantId: string; admin: string }> {
  const tenantId = await newTenant(api.sql);
  return { tenantId, admin: await token("tenant_admin", tenantId) };
}
