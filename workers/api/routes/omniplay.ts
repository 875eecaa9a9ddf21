/**
 * The tenant's OmniPlay settings: one per tenant. The service token is
 * write-only (stored encrypted; only whether it is set, and its last four
 * characters, come back).
 */
import type { Hono } from "hono";
import { invalidateTenantConfig } from "../../config/config-cache.js";
import { masterKeyRingFromEnv } from "../../crypto/master-key-env.js";
import { lastFour, seal } from "../../crypto/secret-box.js";
import { writeAudit } from "../../db/audit-log.js";
import type { Row } from "../../db/tenant-rows.js";
import type { ApiBindings } from "../bindings.js";
import { apiError, notFound } from "../errors.js";
import type { RouteRegistry } from "../openapi.js";
import { pick } from "../schemas/common.js";
import type { Guard } from "../resource.js";
import { omniplayOutput, omniplayPut } from "../schemas/tenancy.js";
import { parseBody } from "../validate.js";

const toApi = (row: Row) => ({ ...pick(row, omniplayOutput), hasServiceToken: row.serviceTokenCiphertext != null });
const tag = "OmniPlay";

export function mountOmniplay(app: Hono<{ Bindings: ApiBindings }>, registry: RouteRegistry, guard: Guard): void {
  registry.add({ method: "get", path: "/omniplay", summary: "Get the tenant's OmniPlay settings", tag, access: "read", response: omniplayOutput });
  app.get("/omniplay", guard("read"), async (c) => {
    const [row] = await c.get("sql")<Row[]>`select * from omniplay_settings where tenant_id = ${c.get("tenantId")}`;
    if (!row) throw notFound("OmniPlay settings");
    return c.json(toApi(row));
  });

  registry.add({ method: "put", path: "/omniplay", summary: "Set the tenant's OmniPlay settings", tag, access: "write", body: omniplayPut, response: omniplayOutput });
  app.put("/omniplay", guard("write"), async (c) => {
    const input = await parseBody(c, omniplayPut);
    const tenantId = c.get("tenantId");
    const principal = c.get("principal");
    const values: Record<string, unknown> = { baseUrl: input.baseUrl };
    if (input.serviceToken !== undefined) {
      if (input.serviceToken === null) {
        values.serviceTokenCiphertext = null;
        values.serviceTokenLast4 = null;
      } else {
        const ring = await masterKeyRingFromEnv(c.env).catch(() => {
          throw apiError(503, "SERVER_MISCONFIGURED", "secrets cannot be stored: SECRETS_MASTER_KEY is missing or invalid");
        });
        const place = { tenantId, table: "omniplay_settings", column: "serviceTokenCiphertext", rowId: tenantId };
        values.serviceTokenCiphertext = await seal(ring, place, input.serviceToken);
        values.serviceTokenLast4 = lastFour(input.serviceToken);
      }
    }
    const row = await c.get("sql").begin(async (tx) => {
      const [before] = await tx<Row[]>`select * from omniplay_settings where tenant_id = ${tenantId} for update`;
      const [after] = before
        ? await tx<Row[]>`update omniplay_settings set ${tx({ ...values, version: before.version + 1, updatedAt: new Date() } as never)} where tenant_id = ${tenantId} returning *`
        : await tx<Row[]>`insert into omniplay_settings ${tx({ ...values, tenantId } as never)} returning *`;
      await writeAudit(tx, {
        tenantId, actorSub: principal.sub, actorRole: principal.role, action: before ? "update" : "create", entity: "omniplay settings", entityId: tenantId,
        before: before ? toApi(before) : null, after: toApi(after!), secretsChanged: input.serviceToken !== undefined ? ["serviceToken"] : [],
      });
      return after!;
    });
    invalidateTenantConfig(tenantId);
    return c.json(toApi(row));
  });

  registry.add({ method: "delete", path: "/omniplay", summary: "Remove the tenant's OmniPlay settings", tag, access: "write" });
  app.delete("/omniplay", guard("write"), async (c) => {
    const tenantId = c.get("tenantId");
    const principal = c.get("principal");
    const deleted = await c.get("sql").begin(async (tx) => {
      const [row] = await tx<Row[]>`delete from omniplay_settings where tenant_id = ${tenantId} returning *`;
      if (row) await writeAudit(tx, { tenantId, actorSub: principal.sub, actorRole: principal.role, action: "delete", entity: "omniplay settings", entityId: tenantId, before: toApi(row), after: null });
      return row;
    });
    if (!deleted) throw notFound("OmniPlay settings");
    invalidateTenantConfig(tenantId);
    return c.body(null, 204);
  });
}
