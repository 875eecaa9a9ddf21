/**
 * Versioned schema for a Durable Object's SQLite storage. Each object keeps
 * the number of migrations it has applied; new code appends migrations and
 * never edits old ones, so an object woken by newer code upgrades itself.
 */

/** Applies the migrations `sql` has not seen yet, in order. Returns the schema version. */
export function migrate(storage: DurableObjectStorage, migrations: readonly string[]): number {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS _schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM _schema WHERE id = 1").toArray()[0];
  const from = row?.version ?? 0;
  if (from > migrations.length) {
    throw new Error(`storage schema version ${from} is newer than this code (${migrations.length})`);
  }
  if (from === migrations.length) return from;
  // One transaction: a half-applied migration would leave a version that lies.
  storage.transactionSync(() => {
    for (let v = from; v < migrations.length; v++) sql.exec(migrations[v] as string);
    sql.exec("INSERT INTO _schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version", migrations.length);
  });
  return migrations.length;
}
