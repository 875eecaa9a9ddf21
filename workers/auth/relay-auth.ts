/**
 * Who is this relay? The one place that turns a bearer token into an
 * identity.
 *
 * - Per-relay tokens (`rly_...`), issued by the config API and stored
 *   hashed: looked up in Postgres (HYPERDRIVE); the relay's tenant comes
 *   from its row. Revoked tokens and suspended tenants are refused.
 * - Development fallback: the single shared RELAY_TOKEN maps to RELAY_ID
 *   (and RELAY_TENANT_ID, or a placeholder tenant). Leave RELAY_TOKEN unset
 *   in production.
 */
import { RELAY_TOKEN_PREFIX, hashRelayToken } from "../crypto/relay-token.js";
import { createSql } from "../db/client.js";
import { findRelayByTokenHash } from "../db/relay-identity.js";
import type { Env } from "../env.js";
import { log } from "../log.js";

/** A relay's identity, derived from its token only (never from what it says). */
export interface RelayIdentity {
  relayId: string;
  /** The tenant whose secretaries the relay may serve (a placeholder for the RELAY_TOKEN fallback). */
  tenantId: string;
}

/** Shorter secrets are refused outright: a short shared token is guessable. */
export const MIN_RELAY_TOKEN_LENGTH = 32;
export const DEFAULT_RELAY_ID = "dev-relay";
export const PLACEHOLDER_TENANT_ID = "default";

let misconfigurationLogged = false;
const encoder = new TextEncoder();

/** The relay presenting `token`, or null when the token is not accepted. */
export async function authenticateRelay(token: string | null | undefined, env: Env): Promise<RelayIdentity | null> {
  if (token?.startsWith(RELAY_TOKEN_PREFIX) && env.HYPERDRIVE) return authenticateIssuedToken(token, env.HYPERDRIVE.connectionString);
  const expected = env.RELAY_TOKEN;
  if (expected === undefined || expected.length < MIN_RELAY_TOKEN_LENGTH) {
    // With a database, per-relay tokens are the normal case and no RELAY_TOKEN is right;
    // only a short one is a mistake worth saying.
    if (!misconfigurationLogged && !(env.HYPERDRIVE && expected === undefined)) {
      misconfigurationLogged = true;
      log("error", "relay_auth_misconfigured", {
        reason: expected === undefined ? "RELAY_TOKEN is not set" : `RELAY_TOKEN is shorter than ${MIN_RELAY_TOKEN_LENGTH} characters`,
        effect: env.HYPERDRIVE ? "only per-relay tokens are accepted" : "every relay connection is refused",
      });
    }
    return null;
  }
  if (!token || !(await constantTimeEqual(token, expected))) return null;
  return { relayId: env.RELAY_ID || DEFAULT_RELAY_ID, tenantId: env.RELAY_TENANT_ID || PLACEHOLDER_TENANT_ID };
}

/**
 * A token issued by the config API. A client of its own (db/client.ts: no
 * client outlives its request in workerd); a database error refuses the
 * relay (it retries with backoff) rather than failing open.
 */
async function authenticateIssuedToken(token: string, connectionString: string): Promise<RelayIdentity | null> {
  try {
    const relay = await findRelayByTokenHash(createSql(connectionString, { max: 1 }), await hashRelayToken(token));
    return relay ?? null;
  } catch (err) {
    log("error", "relay_auth_database_error", { error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

/**
 * Compares digests rather than the strings: equal lengths for
 * timingSafeEqual, and the time taken says nothing about the secret's length.
 */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | null): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
