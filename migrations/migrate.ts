/**
 * The migration runner: applies `migrations/NNNN_*.sql` in order, once each.
 *
 * `npm run migrate` (reads DATABASE_URL), and the local stack and the tests
 * call {@link migrate} directly. Safe to run twice, and safe to run from two
 * processes at once: everything happens in one transaction that first takes
 * an advisory lock, and each applied file is recorded with its SHA-256. A file
 * changed after it was applied stops the run (write a new file instead).
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

export const MIGRATIONS_DIR = fileURLToPath(new URL("./", import.meta.url));
const FILE_RE = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** Any constant will do; it only has to be the same in every runner. */
const LOCK_KEY = 727_001;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

/** The SQL files of `dir`, ordered by their number. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => FILE_RE.test(n)).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const text = await readFile(`${dir}/${name}`, "utf8");
    files.push({ name, sql: text, checksum: createHash("sha256").update(text).digest("hex") });
  }
  return files;
}

/** Applies what has not been applied yet; returns what it did. */
export async function migrate(sql: postgres.Sql, files?: MigrationFile[]): Promise<MigrateResult> {
  const all = files ?? (await readMigrations());
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`create table if not exists schema_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now())`;
    const rows = await tx<{ name: string; checksum: string }[]>`select name, checksum from schema_migrations`;
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const file of all) {
      const previous = done.get(file.name);
      if (previous !== undefined) {
        if (previous !== file.checksum) {
          throw new Error(`migration ${file.name} changed after it was applied (checksum ${previous.slice(0, 12)} → ${file.checksum.slice(0, 12)}); add a new migration instead`);
        }
        result.skipped.push(file.name);
        continue;
      }
      await tx.unsafe(file.sql);
      await tx`insert into schema_migrations (name, checksum) values (${file.name}, ${file.checksum})`;
      result.applied.push(file.name);
    }
    return result;
  });
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write("DATABASE_URL is not set (postgres://user:password@host:port/database)\n");
    process.exit(78);
  }
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const { applied, skipped } = await migrate(sql);
    process.stdout.write(`migrations: ${applied.length} applied${applied.length ? ` (${applied.join(", ")})` : ""}, ${skipped.length} already there\n`);
  } finally {
    await sql.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
