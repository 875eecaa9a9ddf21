/**
 * Authentication and tenant scoping for every /v1 route except the OpenAPI
 * document. The tenant of a request comes from the token: a tenant's token
 * is scoped to its own tenant, whatever the path or body say; an operator
 * names the tenant it acts on with `X-Tenant-Id`.
 */
import type { MiddlewareHandler } from "hono";
import { verify } from "hono/jwt";
import type { ApiBindings } from "../bindings.js";
import { apiError } from "../errors.js";
import { jwtConfigFromEnv, type JwtConfig } from "./jwt-config.js";
import { Access, claimsSchema, type Principal } from "./principal.js";

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal;
    /** The tenant this request acts on; set by {@link requireAccess} on tenant-scoped routes. */
    tenantId: string;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const configs = new WeakMap<object, JwtConfig | { problem: string }>();

function jwtConfig(env: ApiBindings): JwtConfig {
  let config = configs.get(env);
  if (!config) {
    config = jwtConfigFromEnv(env);
    configs.set(env, config);
  }
  if ("problem" in config) throw apiError(503, "SERVER_MISCONFIGURED", `authentication is not configured: ${config.problem}`);
  return config;
}

const unauthorized = (message: string) => apiError(401, "UNAUTHORIZED", message, undefined, { "WWW-Authenticate": 'Bearer realm="v1"' });

/** Verifies the bearer JWT and sets `principal`. */
export function authenticate(): MiddlewareHandler<{ Bindings: ApiBindings }> {
  return async (c, next) => {
    const config = jwtConfig(c.env ?? {});
    const match = /^Bearer +(\S+)$/i.exec(c.req.header("Authorization") ?? "");
    if (!match) throw unauthorized("a bearer token is required");
    let payload: unknown;
    try {
      payload = await verify(match[1]!, config.key, { alg: config.alg, exp: true, nbf: true, iat: false });
    } catch (err) {
      const expired = err instanceof Error && err.name === "JwtTokenExpired";
      throw unauthorized(expired ? "token expired" : "token not valid");
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthorized(`token claims not valid: ${claims.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    c.set("principal", { sub: claims.data.sub, role: claims.data.role, tenantId: claims.data.tenant_id ?? null });
    await next();
  };
}

/**
 * Checks the role against `access` and, for tenant-scoped routes, sets
 * `tenantId`. Role checks come before any lookup, so a 403 says nothing
 * about whether an object exists.
 */
export function requireAccess(access: Access, scope: "tenant" | "none" = "tenant"): MiddlewareHandler {
  const roles: readonly string[] = Access[access];
  return async (c, next) => {
    const principal = c.get("principal");
    if (!roles.includes(principal.role)) throw apiError(403, "FORBIDDEN", `role ${principal.role} may not do this`);
    if (scope === "tenant") {
      if (principal.role === "operator") {
        const header = c.req.header("X-Tenant-Id");
        if (!header || !UUID_RE.test(header)) {
          throw apiError(400, "TENANT_REQUIRED", "operators name the tenant with the X-Tenant-Id header", [{ path: "X-Tenant-Id", message: "must be a tenant UUID" }]);
        }
        c.set("tenantId", header.toLowerCase());
      } else {
        c.set("tenantId", principal.tenantId!);
      }
    }
    await next();
  };
}
