/**
 * The call-time config cache, in the isolate that runs the calls. Entries
 * are keyed by tenant and secretary and tagged with the tenant's
 * config_version (bumped by a trigger on every config write, whoever
 * writes), so a stale entry is never served: the loader compares versions
 * with one tiny query. API writes in this isolate also drop the tenant's
 * entries at once.
 */

export interface CacheEntry<T> {
  version: number;
  value: T;
}

export const MAX_CACHE_ENTRIES = 1000;
const entries = new Map<string, CacheEntry<unknown>>();
const key = (tenantId: string, secretaryId: string) => `${tenantId}/${secretaryId}`;

export function cachedConfig<T>(tenantId: string, secretaryId: string): CacheEntry<T> | undefined {
  return entries.get(key(tenantId, secretaryId)) as CacheEntry<T> | undefined;
}

export function storeConfig<T>(tenantId: string, secretaryId: string, entry: CacheEntry<T>): void {
  const k = key(tenantId, secretaryId);
  entries.delete(k);
  entries.set(k, entry);
  // Map iteration is insertion order: the first key is the least recently stored.
  while (entries.size > MAX_CACHE_ENTRIES) entries.delete(entries.keys().next().value!);
}

/** Drops every entry of the tenant (after a write through the API in this isolate). */
export function invalidateTenantConfig(tenantId: string): void {
  const prefix = `${tenantId}/`;
  for (const k of entries.keys()) if (k.startsWith(prefix)) entries.delete(k);
}

export function clearConfigCache(): void {
  entries.clear();
}
