/**
 * The audit log: who changed what and when, with the object before and
 * after. Callers pass the API's view of the object, which never holds a
 * secret (only whether one is set, and at most its last four characters);
 * `secretsChanged` names secrets that were set or cleared, without values.
 */
import type { TransactionSql } from "./client.js";

export interface AuditEntry {
  tenantId: string | null;
  actorSub: string;
  actorRole: string;
  action: "create" | "update" | "delete" | "revoke";
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
  secretsChanged?: string[];
}

export async function writeAudit(tx: TransactionSql, entry: AuditEntry): Promise<void> {
  const after =
    entry.after && entry.secretsChanged?.length
      ? { ...(entry.after as object), secretsChanged: entry.secretsChanged.map((s) => `${s}: [redacted]`) }
      : entry.after;
  await tx`insert into audit_log (tenant_id, actor_sub, actor_role, action, entity, entity_id, before, after)
    values (${entry.tenantId}, ${entry.actorSub}, ${entry.actorRole}, ${entry.action}, ${entry.entity}, ${entry.entityId},
      ${entry.before === undefined || entry.before === null ? null : tx.json(entry.before as never)},
      ${after === undefined || after === null ? null : tx.json(after as never)})`;
}
