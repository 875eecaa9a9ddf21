/**
 * The stack with AI secretaries, for the fault tests and the bench: the
 * embedded Postgres (migrated, demo tenant seeded), the OpenAI Realtime
 * stand-in in this process, and the Worker in workerd with the bindings a
 * development relay needs to reach the demo tenant's secretaries
 * (LOCAL_CONFIG_TENANT_ID, SECRETS_MASTER_KEY, Hyperdrive to the database).
 *
 * Secretaries are added per scenario: the primary provider's API key picks
 * the stand-in's behaviour (`sk-test-<scenario>-...`: default, stall, error),
 * sealed like the config API seals it, with the default provider as fallback.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { masterKeyRing, seal } from "../../workers/crypto/secret-box.js";
import { startOpenAiRealtimeStandIn } from "../stand-ins/openai-realtime.js";
import type { StandIn } from "../stand-ins/server.js";
import { startLocalPostgres, type LocalPostgres } from "../stack/postgres.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "../stack/seed.js";
import { ignoringProxyResets } from "../support/socket-resets.js";

export interface AiStack {
  url: URL;
  relayToken: string;
  standIn: StandIn;
  /** A new secretary (a copy of the demo one) whose primary provider behaves as `scenario`; returns its id. */
  secretary(scenario: "default" | "stall" | "error", greeting?: string): Promise<string>;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function startAiStack(): Promise<AiStack> {
  const standIn = await startOpenAiRealtimeStandIn();
  const db: LocalPostgres = await startLocalPostgres({ seed: true });
  const sql = postgres(db.url, { max: 2, onnotice: () => undefined });
  const masterKey = randomBytes(32).toString("base64");
  const ring = await masterKeyRing(masterKey);
  const relayToken = randomBytes(24).toString("hex");
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_HIDE_BANNER = "true";
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = db.url;
  const { unstable_startWorker } = await import("wrangler");
  const secret = (value: string) => ({ type: "secret_text" as const, value });
  const worker = await unstable_startWorker({
    config: `${root}wrangler.toml`,
    envFiles: [],
    build: { nodejsCompatMode: () => "v2" },
    bindings: {
      RELAY_TOKEN: secret(relayToken),
      RELAY_ID: { type: "plain_text", value: `ai-${randomBytes(3).toString("hex")}` },
      LOCAL_CONFIG_TENANT_ID: { type: "plain_text", value: DEMO_TENANT_ID },
      SECRETS_MASTER_KEY: secret(masterKey),
      JWT_SECRET: secret(randomBytes(32).toString("hex")),
    },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false, watch: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = await worker.url;

  const providers = new Map<string, string>();
  async function provider(scenario: string): Promise<string> {
    const known = providers.get(scenario);
    if (known) return known;
    const id = randomUUID();
    // Candidates are told apart by vendor and model: the fallback must not share the primary's.
    const model = scenario === "default" ? "gpt-realtime-mini" : "gpt-realtime";
    const sealed = await seal(ring, { tenantId: DEMO_TENANT_ID, table: "ai_providers", column: "apiKeyCiphertext", rowId: id }, `sk-test-${scenario}-${id.slice(0, 8)}`);
    await sql`insert into ai_providers (id, tenant_id, name, kind, vendor, model, base_url, api_key_ciphertext, api_key_last4)
      values (${id}, ${DEMO_TENANT_ID}, ${`stand-in ${scenario}`}, 'realtime', 'openai', ${model}, ${`${standIn.url}/v1`}, ${sealed}, ${id.slice(-4)})`;
    providers.set(scenario, id);
    return id;
  }
  let extension = 9000;

  return {
    url,
    relayToken,
    standIn,
    async secretary(scenario, greeting) {
      const id = randomUUID();
      const primary = await provider(scenario);
      const fallback = await provider("default");
      const changes = { id, extension: String(extension++), provider_id: primary, fallback_provider_id: fallback, ...(greeting ? { greeting } : {}) };
      await sql`insert into secretaries
        select (jsonb_populate_record(null::secretaries, to_jsonb(s) || ${sql.json(changes)}::jsonb)).*
        from secretaries s where s.id = ${DEMO_SECRETARY_ID}`;
      return id;
    },
    stop: () =>
      ignoringProxyResets(async () => {
        await worker.dispose();
        await sql.end({ timeout: 1 }).catch(() => undefined);
        await db.stop();
        await standIn.close();
      }),
  };
}
