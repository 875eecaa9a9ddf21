/**
 * The master key ring from the Worker's bindings: SECRETS_MASTER_KEY seals,
 * SECRETS_MASTER_KEY_PREVIOUS (comma-separated) still opens during a
 * rotation. Imported once per bindings object.
 */
import type { ApiBindings } from "../api/bindings.js";
import { masterKeyRing, type MasterKeyRing } from "./secret-box.js";

const rings = new WeakMap<object, Promise<MasterKeyRing>>();

/** Rejects with SecretBoxError("master_key_invalid") when the key is missing or malformed. */
export function masterKeyRingFromEnv(env: ApiBindings): Promise<MasterKeyRing> {
  let ring = rings.get(env);
  if (!ring) {
    const current = env.SECRETS_MASTER_KEY;
    const previous = (env.SECRETS_MASTER_KEY_PREVIOUS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    ring = current ? masterKeyRing(current, previous) : Promise.reject(new Error("SECRETS_MASTER_KEY is not set"));
    ring.catch(() => rings.delete(env));
    rings.set(env, ring);
  }
  return ring;
}
