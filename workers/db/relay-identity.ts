/**
 * The database side of the relay link's auth: which relay (and tenant) holds
 * a token, and whether a secretary belongs to a tenant.
 */
import type { Sql } from "./client.js";

export interface StoredRelay {
  relayId: string;
  tenantId: string;
}

/**
 * The relay holding the token with this hash, if it is not revoked and its
 * tenant is active. Marks it seen in the same statement (one round trip).
 */
export async function findRelayByTokenHash(sql: Sql, tokenHash: string): Promise<StoredRelay | undefined> {
  const [row] = await sql<StoredRelay[]>`
    update relays r set last_seen_at = now()
      from tenants t
     where r.token_hash = ${tokenHash} and r.revoked_at is null and t.id = r.tenant_id and t.status = 'active'
    returning r.id as relay_id, r.tenant_id`;
  return row;
}

/**
 * May this relay serve a call for this secretary now? The secretary belongs
 * to the relay's tenant, the tenant is active, and the relay's token has not
 * been revoked since its link came up (so a revocation stops new calls on a
 * link that is still open).
 */
export async function relayMayServe(sql: Sql, relayId: string, tenantId: string, secretaryId: string): Promise<boolean> {
  const [row] = await sql`
    select 1 from secretaries s
      join tenants t on t.id = s.tenant_id and t.status = 'active'
      join relays r on r.tenant_id = s.tenant_id and r.id = ${relayId} and r.revoked_at is null
     where s.tenant_id = ${tenantId} and s.id = ${secretaryId}`;
  return row !== undefined;
}

/** What the relay said in its hello (`software`), for the relay listing. */
export async function recordRelaySoftware(sql: Sql, relayId: string, softwareVersion: string): Promise<void> {
  await sql`update relays set software_version = ${softwareVersion.slice(0, 100)} where id = ${relayId}`;
}
