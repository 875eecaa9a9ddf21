/**
 * Suspended tenants: their own principals (tenant_admin, tenant_viewer,
 * service) are refused on every route with 403 TENANT_SUSPENDED; operators
 * are not, so they can still manage the tenant (and reactivate it).
 *
 * The check runs on every request, so the status is cached per isolate for
 * a short time (`ttlMs`, default 5 s). A status change through the API
 * invalidates the entry of the isolate that made it at once; other isolates
 * see it within `ttlMs`. A tenant that no longer exists is never cached.
 */
import type { MiddlewareHandler } from "hono";
import { readTenantStatus, type TenantStatus } from "../../db/tenant-status.js";
import type { Sql } from "../../db/client.js";
import { apiError } from "../errors.js";

export const DEFAULT_TENANT_STATUS_TTL_MS = 5000;

export interface TenantStatusCacheOptions {
  /** How long a status read is trusted, ms (0: read on every request). */
  ttlMs?: number;
  /** Entries kept at most; the oldest goes first. */
  maxEntries?: number;
  now?: () => number;
}

export class TenantStatusCache {
  private readonly entries = new Map<string, { status: TenantStatus; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TenantStatusCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TENANT_STATUS_TTL_MS;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 0 || this.ttlMs > 60_000) throw new RangeError(`tenant status ttlMs must be an integer in 0-60000, got ${this.ttlMs}`);
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError(`tenant status maxEntries must be a positive integer, got ${this.maxEntries}`);
  }

  async status(sql: Sql, tenantId: string): Promise<TenantStatus> {
    const hit = this.entries.get(tenantId);
    if (hit && hit.until > this.now()) return hit.status;
    this.entries.delete(tenantId);
    const status = await readTenantStatus(sql, tenantId);
    if (status !== "missing" && this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(tenantId, { status, until: this.now() + this.ttlMs });
    }
    return status;
  }

  /** After a write to the tenant's row (status change, deletion). */
  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}

/** Refuses a tenant principal whose tenant is suspended (or gone); needs `principal` and `sql`. */
export function requireActiveTenant(cache: TenantStatusCache): MiddlewareHandler {
  return async (c, next) => {
    const principal = c.get("principal");
    if (principal.role !== "operator" && principal.tenantId) {
      const status = await cache.status(c.get("sql"), principal.tenantId);
      if (status === "suspended") throw apiError(403, "TENANT_SUSPENDED", "this tenant is suspended: its users cannot use the API until an operator reactivates it");
      if (status === "missing") throw apiError(403, "TENANT_UNKNOWN", "the token's tenant does not exist");
    }
    await next();
  };
}
