/**
 * The bindings the config API, the database and the call-time config loader
 * read. Merged into `Cloudflare.Env` (so the test pool's `env` is typed), and
 * also a standalone type so that this part does not depend on the rest of
 * the Worker's bindings.
 */

/** What this part uses of a Hyperdrive binding (so the API also runs in Node tests). */
export interface HyperdriveLike {
  connectionString: string;
}

/**
 * What the API uses of the RelayHub namespace (one object per relay, named by
 * the relay's id): closing a revoked relay's open link.
 */
export interface RelayHubNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { revoke(reason: string): Promise<unknown> };
}

export interface ApiBindings {
  /** Postgres through Hyperdrive (locally: a connection string to any Postgres). */
  HYPERDRIVE?: HyperdriveLike;
  /** `HS256` (default) or `RS256`. */
  JWT_ALG?: string;
  /** HS256 shared secret (at least 32 characters). A secret. */
  JWT_SECRET?: string;
  /** RS256 public key, PEM (SPKI, "-----BEGIN PUBLIC KEY-----"). */
  JWT_PUBLIC_KEY?: string;
  /** Master key for secrets at rest: 32 bytes, base64. A secret. */
  SECRETS_MASTER_KEY?: string;
  /** Previous master keys still accepted for reading during a rotation, comma-separated. */
  SECRETS_MASTER_KEY_PREVIOUS?: string;
  /** Tenant of the relay that presents the development RELAY_TOKEN (a tenant UUID; unset: no tenant, every call allowed). */
  RELAY_TENANT_ID?: string;
  /** The relays' hubs; absent (Node tests), a revocation closes no live link. */
  RELAY_HUB?: RelayHubNamespaceLike;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merging into the runtime's ambient namespace is the documented way to type `env`
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the API's bindings
    interface Env extends ApiBindings {}
  }
}
