/**
 * Versioned schema for a Durable Object's SQLite storage. Each schema (by
 * name, so two modules can share one object's storage) keeps the number of
 * migrations it has applied; new code appends migrations and never edits old
 * ones, so an object woken by newer code upgrades itself.
 */

/** Applies the migrations of `schema` that this storage has not seen yet, in order. Returns the version. */
export function migrate(storage: DurableObjectStorage, schema: string, migrations: readonly string[]): number {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS _schema (name TEXT PRIMARY KEY, version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM _schema WHERE name = ?", schema).toArray()[0];
  const from = row?.version ?? 0;
  if (from > migrations.length) {
    throw new Error(`storage schema ${schema} is at version ${from}, newer than this code (${migrations.length})`);
  }
  if (from === migrations.length) return from;
  // One transaction: a half-applied migration would leave a version that lies.
  storage.transactionSync(() => {
    for (let v = from; v < migrations.length; v++) sql.exec(migrations[v] as string);
    sql.exec(
      "INSERT INTO _schema (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version",
      schema,
      migrations.length,
    );
  });
  return migrations.length;
}
