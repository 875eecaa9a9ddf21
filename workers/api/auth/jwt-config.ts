/**
 * JWT verification settings from the Worker's bindings: JWT_ALG (HS256 by
 * default, or RS256), with JWT_SECRET (HS256, >= 32 characters) or
 * JWT_PUBLIC_KEY (RS256, PEM). Pure: it only reads and checks strings.
 */
import type { ApiBindings } from "../bindings.js";

export type JwtAlg = "HS256" | "RS256";

export interface JwtConfig {
  alg: JwtAlg;
  /** HS256 secret, or RS256 public key in PEM. */
  key: string;
}

export const MIN_JWT_SECRET_LENGTH = 32;

/** The config, or a reason why there is none (the API then answers 503). */
export function jwtConfigFromEnv(env: ApiBindings): JwtConfig | { problem: string } {
  const alg = (env.JWT_ALG ?? "HS256").toUpperCase();
  if (alg === "HS256") {
    const secret = env.JWT_SECRET;
    if (!secret) return { problem: "JWT_SECRET is not set" };
    if (secret.length < MIN_JWT_SECRET_LENGTH) return { problem: `JWT_SECRET is shorter than ${MIN_JWT_SECRET_LENGTH} characters` };
    return { alg, key: secret };
  }
  if (alg === "RS256") {
    const pem = env.JWT_PUBLIC_KEY;
    if (!pem) return { problem: "JWT_PUBLIC_KEY is not set" };
    if (!pem.includes("BEGIN PUBLIC KEY")) return { problem: "JWT_PUBLIC_KEY must be a PEM public key (BEGIN PUBLIC KEY)" };
    return { alg, key: pem };
  }
  return { problem: `JWT_ALG must be HS256 or RS256, got '${alg}'` };
}
