/**
 * May this relay run this call? The hub asks before it routes a call to a
 * session: the secretary must belong to the relay's tenant
 * (ARCHITECTURE.md, "Invariants"), whatever the relay says, and the relay
 * must not have been revoked meanwhile.
 *
 * A relay authenticated by the development RELAY_TOKEN without a tenant
 * (RELAY_TENANT_ID unset) has no tenant to check against: its calls are
 * allowed, which is what the local stack and the echo secretary need.
 */
import { env as workerEnv } from "cloudflare:workers";
import type { ControlOf } from "../../shared/link/index.js";
import type { ApiBindings } from "../api/bindings.js";
import { createSql, type Sql } from "../db/client.js";
import { recordRelaySoftware, relayMayServe } from "../db/relay-identity.js";
import { log } from "../log.js";
import type { RelayIdentity } from "./relay-auth.js";

export type CallDecision = { allowed: true } | { allowed: false; reason: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The channel variable that names the secretary on the older stream URL (`/stream/<domain>/<call>`). */
const SECRETARY_VARIABLE = "VOICE_AI_SECRETARY_UUID";

/**
 * One client per relay, and so per RelayHub object (one hub per relay): a
 * client must not be shared between objects or requests (db/client.ts).
 */
const clients = new Map<string, Sql>();

function clientFor(relayId: string, connectionString: string): Sql {
  let sql = clients.get(relayId);
  if (!sql) {
    sql = createSql(connectionString, { max: 2 });
    clients.set(relayId, sql);
  }
  return sql;
}

export async function authorizeCall(
  identity: RelayIdentity,
  call: ControlOf<"call.start"> | ControlOf<"call.resume">,
  env?: ApiBindings,
): Promise<CallDecision> {
  if (!UUID_RE.test(identity.tenantId)) return { allowed: true };
  // Read the bindings only here: the development path above must not touch them (reading the
  // module's `env` in the hub's call path upset call ordering in the hub's tests).
  const bindings = env ?? (workerEnv as ApiBindings);
  const secretaryId = call.secretaryId ?? call.variables?.[SECRETARY_VARIABLE];
  if (!secretaryId || !UUID_RE.test(secretaryId)) return { allowed: false, reason: "the call names no secretary" };
  if (!bindings.HYPERDRIVE) return { allowed: false, reason: "no database to check the secretary against" };
  try {
    const sql = clientFor(identity.relayId, bindings.HYPERDRIVE.connectionString);
    const ok = await relayMayServe(sql, identity.relayId, identity.tenantId, secretaryId.toLowerCase());
    return ok ? { allowed: true } : { allowed: false, reason: "secretary not found for this relay (or the relay was revoked)" };
  } catch (err) {
    clients.delete(identity.relayId);
    log("error", "call_authz_database_error", { relayId: identity.relayId, error: err instanceof Error ? err.message : String(err) });
    return { allowed: false, reason: "secretary could not be checked" };
  }
}

/**
 * Records the software version a relay announced in its hello, for the relay
 * listing. Only relays issued by the config API have a row; the development
 * token (no tenant) and a Worker without a database have nothing to update.
 * Never throws: the version is informational, the link does not wait for it.
 */
export async function noteRelaySoftware(identity: RelayIdentity, software: string, env: ApiBindings): Promise<void> {
  if (!UUID_RE.test(identity.tenantId) || !env.HYPERDRIVE) return;
  try {
    await recordRelaySoftware(clientFor(identity.relayId, env.HYPERDRIVE.connectionString), identity.relayId, software);
  } catch (err) {
    clients.delete(identity.relayId);
    log("warn", "relay_software_not_recorded", { relayId: identity.relayId, error: err instanceof Error ? err.message : String(err) });
  }
}
