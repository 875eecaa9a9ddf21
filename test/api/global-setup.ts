/**
 * One embedded Postgres for the API tests (or DATABASE_URL's), migrated and
 * seeded. Tests isolate themselves by creating their own tenants, so files
 * can share it.
 */
import type { TestProject } from "vitest/node";
import { startLocalPostgres } from "../stack/postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pg = await startLocalPostgres();
  project.provide("databaseUrl", pg.url);
  project.provide("databaseDir", pg.dataDir ?? "");
  return () => pg.stop();
}
