/** Operator maintenance: re-seal every stored secret under the current master key. */
import type { Hono } from "hono";
import { z } from "zod";
import { masterKeyRingFromEnv } from "../../crypto/master-key-env.js";
import { resealAll } from "../../crypto/reseal.js";
import type { ApiBindings } from "../bindings.js";
import { apiError } from "../errors.js";
import type { RouteRegistry } from "../openapi.js";
import type { Guard } from "../resource.js";

const resealResult = z.object({ resealed: z.number().int(), current: z.number().int(), unreadable: z.number().int(), keyId: z.string() });

export function mountSecrets(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard): void {
  registry.add({ method: "post", path: "/secrets/reseal", summary: "Re-seal all secrets under the current master key (key rotation)", tag: "Operator", access: "operator", response: resealResult });
  app.post("/secrets/reseal", guard("operator"), async (c) => {
    const ring = await masterKeyRingFromEnv(c.env).catch(() => {
      throw apiError(503, "SERVER_MISCONFIGURED", "SECRETS_MASTER_KEY is missing or invalid");
    });
    const result = await resealAll(c.get("sql"), ring);
    return c.json({ ...result, keyId: ring.current.id });
  });
}
