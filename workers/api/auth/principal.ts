/**
 * Who is calling, from the JWT's claims. Roles:
 * - `operator`: the SaaS operator; every tenant (names one with `X-Tenant-Id`);
 * - `tenant_admin`: reads and writes its own tenant;
 * - `tenant_viewer`: reads its own tenant;
 * - `service`: a machine of its own tenant (reads config, writes conversations).
 */
import { z } from "zod";

export const ROLES = ["operator", "tenant_admin", "tenant_viewer", "service"] as const;
export type Role = (typeof ROLES)[number];

export const claimsSchema = z
  .object({
    sub: z.string().min(1).max(200),
    role: z.enum(ROLES),
    tenant_id: z.uuid().optional(),
    exp: z.number().int(),
  })
  .refine((c) => c.role === "operator" || c.tenant_id !== undefined, { message: "tenant_id is required for this role", path: ["tenant_id"] });

export interface Principal {
  sub: string;
  role: Role;
  /** The token's tenant; null for operators. */
  tenantId: string | null;
}

/** Which roles may do what; every route names one of these. */
export const Access = {
  /** Read the tenant's objects. */
  read: ["operator", "tenant_admin", "tenant_viewer", "service"],
  /** Change the tenant's configuration. */
  write: ["operator", "tenant_admin"],
  /** Record calls (the CallSession's service token) or fix records. */
  record: ["operator", "tenant_admin", "service"],
  /** Read the audit log. */
  audit: ["operator", "tenant_admin"],
  /** Manage tenants. */
  operator: ["operator"],
} as const satisfies Record<string, readonly Role[]>;
export type Access = keyof typeof Access;
