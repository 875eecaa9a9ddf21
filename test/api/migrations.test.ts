/** The migration runner on a fresh database: applies everything, then nothing; concurrent runs are safe; edited files are refused. */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate, readMigrations } from "../../migrations/migrate.js";
import { seedDemo, DEMO_SECRETARY_ID } from "../stack/seed.js";

const admin = postgres(inject("databaseUrl"), { max: 1, onnotice: () => undefined });
const name = `fresh_${randomBytes(4).toString("hex")}`;
let fresh: postgres.Sql;

beforeAll(async () => {
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject("databaseUrl"));
  url.pathname = `/${name}`;
  fresh = postgres(url.toString(), { max: 4, onnotice: () => undefined });
});
afterAll(async () => {
  await fresh.end();
  await admin.unsafe(`drop database ${name} with (force)`);
  await admin.end();
});

describe("migrations", () => {
  it("apply on a fresh database, twice at once, and are then all skipped", async () => {
    const files = await readMigrations();
    expect(files.length).toBeGreaterThan(0);
    const [a, b] = await Promise.all([migrate(fresh), migrate(fresh)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(files.map((f) => f.name));
    const again = await migrate(fresh);
    expect(again).toEqual({ applied: [], skipped: files.map((f) => f.name) });
    const tables = await fresh<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' order by 1`;
    expect(tables.map((t) => t.tablename)).toEqual(
      ["ai_providers", "audit_log", "conversations", "omniplay_settings", "relays", "schema_migrations", "secretaries", "tenants", "transfer_destinations", "transfer_rules"],
    );
  });

  it("0002 adds the bounded handoff columns and its index, and running it again by hand changes nothing", async () => {
    const file = (await readMigrations()).find((f) => f.name === "0002_handoff_metrics.sql");
    expect(file).toBeDefined();
    const columns = () => fresh<{ column_name: string; data_type: string }[]>`
      select column_name, data_type from information_schema.columns
      where table_name = 'conversations' and column_name like 'handoff%' order by 1`;
    const before = await columns();
    await fresh.unsafe(file!.sql);
    await fresh.unsafe(file!.sql);
    expect(await columns()).toEqual(before);
    expect(before.map((c) => [c.column_name, c.data_type])).toEqual([
      ["handoff_duration_ms", "integer"],
      ["handoff_error", "text"],
      ["handoff_reason", "text"],
    ]);
    const [index] = await fresh<{ n: number }[]>`select count(*)::int as n from pg_indexes where indexname = 'conversations_handoff_stats'`;
    expect(index!.n).toBe(1);
    const [tenant] = await fresh<{ id: string }[]>`insert into tenants (name, slug) values ('m', ${`m-${name}`}) returning id`;
    await expect(fresh`insert into conversations (tenant_id, call_id, started_at, handoff_error) values (${tenant!.id}, gen_random_uuid(), now(), ${"x".repeat(501)})`)
      .rejects.toThrow(/conversations_handoff_error_length/);
    await expect(fresh`insert into conversations (tenant_id, call_id, started_at, handoff_duration_ms) values (${tenant!.id}, gen_random_uuid(), now(), -1)`)
      .rejects.toThrow(/conversations_handoff_duration_range/);
  });

  it("seed the demo tenant idempotently", async () => {
    await seedDemo(fresh);
    await seedDemo(fresh);
    const [row] = await fresh<{ n: number }[]>`select count(*)::int as n from secretaries where id = ${DEMO_SECRETARY_ID}`;
    expect(row!.n).toBe(1);
  });

  it("refuse a file changed after it was applied", async () => {
    const files = await readMigrations();
    const changed = files.map((f, i) => (i === 0 ? { ...f, checksum: "0".repeat(64) } : f));
    await expect(migrate(fresh, changed)).rejects.toThrow(/changed after it was applied/);
  });
});
