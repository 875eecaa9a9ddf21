/**
 * Runs the real Worker and its Durable Objects in workerd, through wrangler's
 * `unstable_startWorker` (it bundles the TypeScript), offline: no login, no
 * metrics, no network.
 */
import { fileURLToPath } from "node:url";

export interface LocalCloud {
  url: URL;
  /** The DevTools inspector's ws:// URL, when started with `inspector: true`. */
  inspectorUrl?: URL;
  stop(): Promise<void>;
}

export interface LocalCloudOptions {
  port?: number;
  relayToken: string;
  echoDelayMs?: number;
  relayId?: string;
  /** Postgres behind the HYPERDRIVE binding (the config API, per-relay tokens, call config). */
  databaseUrl?: string;
  /** The config API's HS256 JWT secret and the master key of secrets at rest. */
  apiSecrets?: { jwtSecret: string; secretsMasterKey: string };
  /** More plain-text bindings: vendor base URLs of the stand-ins, LOCAL_CONFIG_TENANT_ID. */
  vars?: Record<string, string>;
  /** Open the isolate's inspector (CPU profiles); off by default. */
  inspector?: boolean;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_HIDE_BANNER = "true";
  // wrangler's documented override of the binding's localConnectionString.
  if (options.databaseUrl) process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = options.databaseUrl;
  const { unstable_startWorker } = await import("wrangler");
  const worker = await unstable_startWorker({
    config: `${root}wrangler.toml`,
    envFiles: [],
    // `wrangler dev` derives this from wrangler.toml's nodejs_compat flag; the
    // programmatic API does not, and without it Node built-ins that `postgres`
    // imports are left unresolved (with a warning per module).
    build: { nodejsCompatMode: () => "v2" },
    bindings: {
      RELAY_TOKEN: { type: "secret_text", value: options.relayToken },
      ECHO_DELAY_MS: { type: "plain_text", value: String(options.echoDelayMs ?? 0) },
      RELAY_ID: { type: "plain_text", value: options.relayId ?? "local-relay" },
      ...Object.fromEntries(Object.entries(options.vars ?? {}).map(([k, v]) => [k, { type: "plain_text" as const, value: v }])),
      ...(options.apiSecrets
        ? {
            JWT_SECRET: { type: "secret_text" as const, value: options.apiSecrets.jwtSecret },
            SECRETS_MASTER_KEY: { type: "secret_text" as const, value: options.apiSecrets.secretsMasterKey },
          }
        : {}),
    },
    dev: {
      server: { hostname: "127.0.0.1", port: options.port ?? 0 },
      inspector: options.inspector ? { hostname: "127.0.0.1", port: 0 } : false,
      persist: false,
      watch: false,
      logLevel: "warn",
    },
  });
  await worker.ready;
  const url = await worker.url;
  const inspectorUrl = options.inspector ? await worker.inspectorUrl : undefined;
  return { url, ...(inspectorUrl ? { inspectorUrl } : {}), stop: () => worker.dispose() };
}
