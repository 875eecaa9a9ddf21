/**
 * Relay tokens: 32 random bytes, shown once when issued, stored as their
 * SHA-256. A token carries enough entropy that a plain hash is safe to store
 * and fast to look up (unlike a password, nothing to stretch).
 */
import { bytesToBase64Url, bytesToHex } from "./base64.js";

export const RELAY_TOKEN_PREFIX = "rly_";

export function generateRelayToken(): string {
  return RELAY_TOKEN_PREFIX + bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function hashRelayToken(token: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
}

/** What a listing shows to tell tokens apart: the prefix and 6 characters. */
export function relayTokenHint(token: string): string {
  return token.slice(0, RELAY_TOKEN_PREFIX.length + 6);
}
