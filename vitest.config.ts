import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Token the Workers-runtime tests authenticate with. */
export const TEST_RELAY_TOKEN = "test-relay-token-0123456789abcdef0123";
/** JWT secret and master key of the Workers-runtime config API tests (*.pg.test.ts). */
export const TEST_JWT_SECRET = "test-jwt-secret-for-workerd-0123456789abcdef";
export const TEST_MASTER_KEY = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["shared/**/*.test.ts", "relay/**/*.test.ts", "test/unit/**/*.test.ts", "test/relay/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        // The vendor stand-ins (test/stand-ins) run in Node from the globalSetup; the Worker
        // reaches them through the same base-URL variables the local stack sets.
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./workers/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { RELAY_TOKEN: TEST_RELAY_TOKEN, ECHO_DELAY_MS: "0", ...inject("standIns") } },
          })),
        ],
        test: {
          name: "workers",
          include: ["workers/**/*.test.ts"],
          exclude: ["workers/**/*.pg.test.ts"],
          globalSetup: ["test/stand-ins/global-setup.ts"],
        },
      },
      {
        // Workers-runtime tests that need Postgres: the Worker with a Hyperdrive binding to the
        // embedded Postgres of the globalSetup, and per-relay tokens only (no RELAY_TOKEN).
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./workers/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ECHO_DELAY_MS: "0", JWT_SECRET: TEST_JWT_SECRET, SECRETS_MASTER_KEY: TEST_MASTER_KEY },
              hyperdrives: { HYPERDRIVE: inject("databaseUrl") },
            },
          })),
        ],
        test: {
          name: "api-workerd",
          include: ["workers/**/*.pg.test.ts"],
          globalSetup: ["test/api/global-setup-workerd.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The config API in Node (app.request) against a real Postgres (embedded, or DATABASE_URL).
        test: {
          name: "api",
          include: ["test/api/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/api/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // The short load run (50 calls x 30 s through the relay and workerd); alone, it uses both cores.
        test: {
          name: "load",
          include: ["test/load/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Fault injection: the real relay, workerd, proxies and raw peers; files one at a time.
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
