/**
 * What a CallSession needs at call start: the secretary, its providers (keys
 * decrypted), its transfer rules with their destinations, and the tenant's
 * OmniPlay settings. One small query checks the tenant's config_version; on
 * a cache hit nothing else is read, so a call starts in a round trip (two on
 * a miss), and a change made through the API applies to the next call.
 */
import type { ApiBindings } from "../api/bindings.js";
import { masterKeyRingFromEnv } from "../crypto/master-key-env.js";
import { open, type MasterKeyRing } from "../crypto/secret-box.js";
import { createSql, type Sql } from "../db/client.js";
import type { Row } from "../db/tenant-rows.js";
import { pick } from "../api/schemas/common.js";
import { secretaryOutput, type Secretary } from "../api/schemas/secretary.js";
import { cachedConfig, storeConfig } from "./config-cache.js";

export interface RuntimeProvider {
  id: string;
  name: string;
  kind: "realtime" | "stt" | "tts" | "llm";
  vendor: string;
  model: string | null;
  baseUrl: string | null;
  /** Decrypted; null when none is configured (the local stand-in is used). Never log it. */
  apiKey: string | null;
}

export interface RuntimeTransferRule {
  department: string;
  phrases: string[];
  priority: number;
  destination: { name: string; kind: string; extension: string; context: string | null };
}

export interface SecretaryRuntimeConfig {
  tenantId: string;
  configVersion: number;
  secretary: Secretary;
  provider: RuntimeProvider | null;
  fallbackProvider: RuntimeProvider | null;
  transferRules: RuntimeTransferRule[];
  omniplay: { baseUrl: string; serviceToken: string | null } | null;
}

type Raw = Record<string, unknown>;

/** snake_case keys of a JSON row → camelCase, top level only. */
function camelRow(raw: Raw): Row {
  const out: Raw = {};
  for (const [k, v] of Object.entries(raw)) out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out as Row;
}

async function decryptProvider(row: Row | undefined, ring: () => Promise<MasterKeyRing>): Promise<RuntimeProvider | null> {
  if (!row) return null;
  const sealed = row.apiKeyCiphertext as string | null;
  const place = { tenantId: row.tenantId, table: "ai_providers", column: "apiKeyCiphertext", rowId: row.id };
  return {
    id: row.id,
    name: row.name as string,
    kind: row.kind as RuntimeProvider["kind"],
    vendor: row.vendor as string,
    model: (row.model as string | null) ?? null,
    baseUrl: (row.baseUrl as string | null) ?? null,
    apiKey: sealed ? await open(await ring(), place, sealed) : null,
  };
}

/**
 * The secretary's config, or null when the tenant does not exist, is
 * suspended, or has no such secretary. `ring` is only called when a secret
 * has to be opened.
 */
export async function loadSecretaryConfig(sql: Sql, ring: () => Promise<MasterKeyRing>, tenantId: string, secretaryId: string): Promise<SecretaryRuntimeConfig | null> {
  const [tenant] = await sql<{ configVersion: number; status: string }[]>`
    select config_version::int as config_version, status from tenants where id = ${tenantId}`;
  if (!tenant || tenant.status !== "active") return null;
  const hit = cachedConfig<SecretaryRuntimeConfig | null>(tenantId, secretaryId);
  if (hit && hit.version === tenant.configVersion) return hit.value;

  // One statement, one round trip: nested rows come back as JSON with snake_case keys
  // (converted below at the top level only, so keys inside jsonb values stay as stored).
  const [loaded] = await sql<{ secretary: Raw | null; providers: Raw[]; rules: Raw[]; omniplay: Raw | null }[]>`
    select
      (select row_to_json(s) from secretaries s where s.tenant_id = ${tenantId} and s.id = ${secretaryId}) as secretary,
      (select coalesce(json_agg(p), '[]'::json) from ai_providers p join secretaries s
         on s.tenant_id = p.tenant_id and p.id in (s.provider_id, s.fallback_provider_id)
        where s.tenant_id = ${tenantId} and s.id = ${secretaryId}) as providers,
      (select coalesce(json_agg(x order by x.priority, x.department), '[]'::json) from (
         select r.department, r.phrases, r.priority, d.name, d.kind, d.extension, d.context
           from transfer_rules r join transfer_destinations d on d.tenant_id = r.tenant_id and d.id = r.destination_id
          where r.tenant_id = ${tenantId} and r.secretary_id = ${secretaryId}) x) as rules,
      (select row_to_json(o) from omniplay_settings o where o.tenant_id = ${tenantId}) as omniplay`;
  const secretary = loaded?.secretary ? camelRow(loaded.secretary) : undefined;
  const providers = (loaded?.providers ?? []).map(camelRow);
  const rules = (loaded?.rules ?? []).map(camelRow);
  const omniplay = loaded?.omniplay ? camelRow(loaded.omniplay) : undefined;
  let value: SecretaryRuntimeConfig | null = null;
  if (secretary) {
    const byId = new Map(providers.map((p) => [p.id, p]));
    const sealedToken = omniplay?.serviceTokenCiphertext as string | null | undefined;
    value = {
      tenantId,
      configVersion: tenant.configVersion,
      secretary: pick(secretary, secretaryOutput) as Secretary,
      provider: await decryptProvider(byId.get(secretary.providerId as string), ring),
      fallbackProvider: await decryptProvider(byId.get(secretary.fallbackProviderId as string), ring),
      transferRules: rules.map((r) => ({
        department: r.department as string,
        phrases: r.phrases as string[],
        priority: r.priority as number,
        destination: { name: r.name as string, kind: r.kind as string, extension: r.extension as string, context: (r.context as string | null) ?? null },
      })),
      omniplay: omniplay
        ? {
            baseUrl: omniplay.baseUrl as string,
            serviceToken: sealedToken
              ? await open(await ring(), { tenantId, table: "omniplay_settings", column: "serviceTokenCiphertext", rowId: tenantId }, sealedToken)
              : null,
          }
        : null,
    };
  }
  storeConfig(tenantId, secretaryId, { version: tenant.configVersion, value });
  return value;
}

/**
 * The loader as a CallSession uses it: a client of its own (one per object,
 * see db/client.ts) from the Hyperdrive binding, and the master key ring
 * from the bindings. Throws when no database is configured.
 */
export function secretaryConfigLoader(env: ApiBindings, sql?: Sql) {
  const hyperdrive = env.HYPERDRIVE;
  if (!sql && !hyperdrive) throw new Error("no database: the HYPERDRIVE binding is not configured");
  const client = sql ?? createSql(hyperdrive!.connectionString, { max: 2 });
  return (tenantId: string, secretaryId: string) => loadSecretaryConfig(client, () => masterKeyRingFromEnv(env), tenantId, secretaryId);
}
