/**
 * The embedded Postgres for the Workers-runtime API tests. Miniflare's local
 * Hyperdrive proxy (miniflare 4.20260426, HyperdriveProxyController) pipes
 * workerd's socket to Postgres with no 'error' listener, so a connection
 * reset when workerd or Postgres shuts down at the end of the run would
 * crash this process after the tests have passed. Resets are ignored here;
 * any other uncaught error still ends the run.
 */
import type { TestProject } from "vitest/node";
import setupPostgres from "./global-setup.js";

function ignoreResets(err: Error & { code?: string }): void {
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return;
  process.off("uncaughtException", ignoreResets);
  throw err;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.on("uncaughtException", ignoreResets);
  return setupPostgres(project);
}
