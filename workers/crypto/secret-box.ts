/**
 * Secrets at rest (provider API keys, OmniPlay service tokens): AES-256-GCM
 * with WebCrypto under a master key held as a Worker secret.
 *
 * Sealed form: `v1.<keyId>.<iv b64url>.<ciphertext+tag b64url>`. The key id
 * (first 8 hex digits of the key's SHA-256) says which master key sealed it,
 * so a rotation can keep the previous key for reading while every row is
 * re-sealed under the new one. The additional data binds a ciphertext to its
 * place (tenant, table, column, row): copied into another tenant's row it no
 * longer opens.
 */
import { base64ToBytes, bytesToBase64Url, bytesToHex } from "./base64.js";

const VERSION = "v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where a sealed value lives; part of the authenticated data. */
export interface SecretPlace {
  tenantId: string;
  table: string;
  column: string;
  rowId: string;
}

export interface MasterKey {
  id: string;
  key: CryptoKey;
}

/** The current key seals; every listed key may open. */
export interface MasterKeyRing {
  current: MasterKey;
  all: ReadonlyMap<string, MasterKey>;
}

export class SecretBoxError extends Error {
  constructor(
    readonly code: "master_key_invalid" | "sealed_value_invalid" | "unknown_key_id" | "decrypt_failed",
    message: string,
  ) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** Imports a master key given as 32 bytes of base64 (`openssl rand -base64 32`). */
export async function importMasterKey(base64: string): Promise<MasterKey> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(base64.trim());
  } catch {
    throw new SecretBoxError("master_key_invalid", "master key is not base64");
  }
  if (raw.byteLength !== 32) throw new SecretBoxError("master_key_invalid", `master key must be 32 bytes, got ${raw.byteLength}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: bytesToHex(digest.subarray(0, 4)), key };
}

/** A ring from the current key and any previous ones still needed for reading. */
export async function masterKeyRing(current: string, previous: readonly string[] = []): Promise<MasterKeyRing> {
  const cur = await importMasterKey(current);
  const all = new Map<string, MasterKey>([[cur.id, cur]]);
  for (const p of previous) {
    const k = await importMasterKey(p);
    if (!all.has(k.id)) all.set(k.id, k);
  }
  return { current: cur, all };
}

function additionalData(place: SecretPlace): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(`${VERSION}|${place.tenantId}|${place.table}|${place.column}|${place.rowId}`));
}

export async function seal(ring: MasterKeyRing, place: SecretPlace, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(place) },
    ring.current.key,
    encoder.encode(plaintext),
  );
  return [VERSION, ring.current.id, bytesToBase64Url(iv), bytesToBase64Url(new Uint8Array(sealed))].join(".");
}

export async function open(ring: MasterKeyRing, place: SecretPlace, sealed: string): Promise<string> {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError("sealed_value_invalid", "not a sealed value");
  const [, keyId, ivText, dataText] = parts as [string, string, string, string];
  const key = ring.all.get(keyId);
  if (!key) throw new SecretBoxError("unknown_key_id", `sealed under master key ${keyId}, which is not configured`);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: base64ToBytes(ivText), additionalData: additionalData(place) },
      key.key,
      base64ToBytes(dataText),
    );
    return decoder.decode(plain);
  } catch {
    throw new SecretBoxError("decrypt_failed", "sealed value does not open here (wrong key, place or tampered)");
  }
}

/** The id of the key that sealed `sealed`, or undefined if it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split(".");
  return parts.length === 4 && parts[0] === VERSION ? parts[1] : undefined;
}

/** What the API may show of a secret: its last four characters, only when long enough not to give it away. */
export function lastFour(secret: string): string | null {
  return secret.length >= 16 ? secret.slice(-4) : null;
}
