/**
 * Master key rotation, step 2 of 3 (see README, "Rotating the master key"):
 * re-seals every stored secret under the current master key. Rows already
 * under it are skipped, so the run can be repeated or resumed.
 */
import type { Sql } from "../db/client.js";
import { open, seal, sealedKeyId, type MasterKeyRing } from "./secret-box.js";

/** Every column that holds a sealed secret, and how to find its place. */
export const SEALED_COLUMNS = [
  { table: "ai_providers", column: "apiKeyCiphertext", rowKey: "id" },
  { table: "omniplay_settings", column: "serviceTokenCiphertext", rowKey: "tenantId" },
] as const;

export interface ResealResult {
  resealed: number;
  /** Already under the current key. */
  current: number;
  /** Sealed under a key that is not configured (or damaged): left as they are. */
  unreadable: number;
}

export async function resealAll(sql: Sql, ring: MasterKeyRing): Promise<ResealResult> {
  let resealed = 0;
  let current = 0;
  let unreadable = 0;
  for (const { table, column, rowKey } of SEALED_COLUMNS) {
    const rows = await sql<Record<string, string>[]>`select tenant_id, ${sql(rowKey)} as row_id, ${sql(column)} as sealed
      from ${sql(table)} where ${sql(column)} is not null`;
    for (const row of rows) {
      if (sealedKeyId(row.sealed!) === ring.current.id) {
        current++;
        continue;
      }
      const place = { tenantId: row.tenantId!, table, column, rowId: row.rowId! };
      let plain: string;
      try {
        plain = await open(ring, place, row.sealed!);
      } catch {
        unreadable++;
        continue;
      }
      const next = await seal(ring, place, plain);
      // Compare-and-set: a concurrent write through the API wins.
      await sql`update ${sql(table)} set ${sql(column)} = ${next} where ${sql(rowKey)} = ${row.rowId!} and ${sql(column)} = ${row.sealed!}`;
      resealed++;
    }
  }
  return { resealed, current, unreadable };
}
