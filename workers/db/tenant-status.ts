/** A tenant's status, for the API's per-request check (auth/tenant-status.ts). */
import type { Sql } from "./client.js";

/** `missing`: no such tenant (deleted after its token was issued). */
export type TenantStatus = "active" | "suspended" | "missing";

export async function readTenantStatus(sql: Sql, tenantId: string): Promise<TenantStatus> {
  const [row] = await sql<{ status: "active" | "suspended" }[]>`select status from tenants where id = ${tenantId}`;
  return row?.status ?? "missing";
}
