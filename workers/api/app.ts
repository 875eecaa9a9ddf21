/**
 * The config API: a Hono app meant to be mounted at /v1
 * (`app.route("/v1", createApi())`). Options are checked here, when the app
 * is built; bindings (database, JWT keys, master key) are read per request,
 * and a missing one gives a 503 with a message naming it.
 *
 * Every route but `GET /openapi.json` runs, in order: body size limit,
 * authentication (JWT), role and tenant scope, a database client, then the
 * suspended-tenant check (auth/tenant-status.ts).
 * The middleware is attached per route, not with `use("*")`, so mounting the
 * API never puts a JWT check in front of the Worker's other /v1 routes.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { createSql, type Sql } from "../db/client.js";
import type { ApiBindings } from "./bindings.js";
import { authenticate, requireAccess } from "./auth/middleware.js";
import type { Access } from "./auth/principal.js";
import { requireActiveTenant, TenantStatusCache } from "./auth/tenant-status.js";
import { apiError, errorHandler, type Logger } from "./errors.js";
import { openApiDocument, RouteRegistry } from "./openapi.js";
import { mountResource, type Guard } from "./resource.js";
import { mountAudit } from "./routes/audit.js";
import { configResources } from "./routes/config-resources.js";
import { mountOmniplay } from "./routes/omniplay.js";
import { mountRelays } from "./routes/relays.js";
import { mountSecrets } from "./routes/secrets.js";
import { mountStats } from "./routes/stats.js";
import { mountTenants } from "./routes/tenants.js";

declare module "hono" {
  interface ContextVariableMap {
    /** The request's database client. */
    sql: Sql;
  }
}

export interface ApiOptions {
  /** Largest accepted request body, bytes (default 256 KiB: a long prompt and business hours fit). */
  maxBodyBytes?: number;
  /**
   * Where a request's database client comes from. Default: a new client per
   * request from the HYPERDRIVE binding (the workerd rule; see db/client.ts).
   * Node tests pass a shared pool.
   */
  database?: (env: ApiBindings) => Sql;
  /** Where unexpected errors are reported (never with bodies or secrets). */
  logError?: Logger;
  /**
   * How long a tenant's status (active or suspended) is trusted per isolate, ms (default 5000;
   * 0 reads it on every request). A suspension made elsewhere applies within this time.
   */
  tenantStatusTtlMs?: number;
}

export type ApiApp = Hono<{ Bindings: ApiBindings }>;

const defaultDatabase = (env: ApiBindings): Sql => {
  const hyperdrive = env.HYPERDRIVE;
  if (!hyperdrive) throw apiError(503, "SERVER_MISCONFIGURED", "no database: the HYPERDRIVE binding is not configured");
  return createSql(hyperdrive.connectionString);
};

const defaultLogError: Logger = (event, fields) => {
  // eslint-disable-next-line no-console -- workerd collects console output as the Worker's log
  console.error(JSON.stringify({ level: "error", msg: event, ...fields }));
};

export function createApi(options: ApiOptions = {}): { app: ApiApp; routes: RouteRegistry } {
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 16 * 1024 * 1024) {
    throw new RangeError(`createApi: maxBodyBytes must be an integer between 1 KiB and 16 MiB, got ${maxBodyBytes}`);
  }
  const database = options.database ?? defaultDatabase;
  const logError = options.logError ?? defaultLogError;
  const tenantStatus = new TenantStatusCache({ ttlMs: options.tenantStatusTtlMs });
  const activeTenant = requireActiveTenant(tenantStatus);

  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw apiError(413, "PAYLOAD_TOO_LARGE", `the body exceeds ${maxBodyBytes} bytes`);
    },
  });
  const withDatabase: MiddlewareHandler<{ Bindings: ApiBindings }> = async (c, next) => {
    c.set("sql", database(c.env ?? {}));
    await next();
  };
  const guards = new Map<Access, MiddlewareHandler>();
  const guard: Guard = (access) => {
    let g = guards.get(access);
    if (!g) {
      g = every(limit, authenticate(), requireAccess(access, access === "operator" ? "none" : "tenant"), withDatabase, activeTenant);
      guards.set(access, g);
    }
    return g;
  };
  // Tenants are not tenant-scoped (they are the scope): the operator needs no X-Tenant-Id there.
  const tenantGuard: Guard = (access) => (access === "operator" ? guard(access) : every(limit, authenticate(), requireAccess(access, "none"), withDatabase, activeTenant));

  const app: ApiApp = new Hono();
  const routes = new RouteRegistry();
  app.onError(errorHandler(logError));

  routes.add({ method: "get", path: "/openapi.json", summary: "This document", tag: "Meta", access: "public" });
  let document: Record<string, unknown> | undefined;
  app.get("/openapi.json", (c) => c.json((document ??= openApiDocument(routes))));

  mountTenants(app, routes, tenantGuard, tenantStatus);
  mountRelays(app, routes, guard, logError);
  for (const spec of configResources) mountResource(app, routes, guard, spec);
  mountOmniplay(app, routes, guard);
  mountAudit(app, routes, guard);
  mountStats(app, routes, guard);
  mountSecrets(app, routes, guard);
  return { app, routes };
}
