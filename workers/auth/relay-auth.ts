/**
 * Who is this relay? The one place that turns a bearer token into an
 * identity. For now a single shared secret (RELAY_TOKEN) maps to RELAY_ID;
 * the config API will replace this function with per-relay hashed tokens,
 * and nothing else has to change.
 */
import type { Env } from "../env.js";
import { log } from "../log.js";

/** A relay's identity, derived from its token only (never from what it says). */
export interface RelayIdentity {
  relayId: string;
  /** Placeholder until tenants exist (the config API will derive it from the token). */
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
  const expected = env.RELAY_TOKEN;
  if (expected === undefined || expected.length < MIN_RELAY_TOKEN_LENGTH) {
    if (!misconfigurationLogged) {
      misconfigurationLogged = true;
      log("error", "relay_auth_misconfigured", {
        reason: expected === undefined ? "RELAY_TOKEN is not set" : `RELAY_TOKEN is shorter than ${MIN_RELAY_TOKEN_LENGTH} characters`,
        effect: "every relay connection is refused",
      });
    }
    return null;
  }
  if (!token || !(await constantTimeEqual(token, expected))) return null;
  return { relayId: env.RELAY_ID || DEFAULT_RELAY_ID, tenantId: PLACEHOLDER_TENANT_ID };
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
