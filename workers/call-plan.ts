/**
 * What a call runs, decided once at call start: the diagnostic echo, or an
 * AI secretary with its providers, voice, prompt, greeting and VAD. This is
 * the one place that reads the secretary's configuration (the config API's
 * call-time loader, workers/config/).
 *
 * The echo stays selectable: a call whose secretary has no configuration
 * (the `relay doctor` check, the echo e2e test, a development relay without
 * a tenant) gets the echo. The development relay (RELAY_TOKEN without
 * RELAY_TENANT_ID) reads secretaries of LOCAL_CONFIG_TENANT_ID when set,
 * which is how `npm start` reaches its seeded demo secretary.
 */
import type { Env } from "./env.js";
import type { CallStartInfo } from "./call-session.js";
import { secretaryConfigLoader, type RuntimeProvider } from "./config/secretary-config.js";
import { handoffPlanOf, type HandoffPlan } from "./handoff/handoff-plan.js";
import type { SessionSetup } from "./providers/provider.js";

export interface AiPlan {
  kind: "ai";
  tenantId: string;
  secretaryId: string;
  /** True when the tenant is real (its conversation record goes to Postgres). */
  tenantScoped: boolean;
  processingMode: "realtime" | "turn_based" | "auto";
  provider: RuntimeProvider | null;
  fallbackProvider: RuntimeProvider | null;
  instructions: string;
  voice: string | null;
  language: string;
  greeting: string | null;
  vad: SessionSetup["vad"];
  /** Offer the diagnostic `echo` tool (tests, diagnostics). */
  diagnosticTools?: boolean;
  /** Keywords, hours, transfer rules, OmniPlay (workers/handoff); absent: no handoff tools. */
  handoff?: HandoffPlan;
  /** Overrides of the failure timeouts (tests); defaults in ai-secretary.ts. */
  timeouts?: { openMs?: number; stallMs?: number };
}

export type CallPlan = { kind: "echo" } | AiPlan;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRETARY_VARIABLE = "VOICE_AI_SECRETARY_UUID";

export async function resolveCallPlan(env: Env, info: CallStartInfo): Promise<CallPlan> {
  const secretaryId = (info.secretaryId ?? info.variables?.[SECRETARY_VARIABLE])?.toLowerCase();
  const tenantScoped = UUID_RE.test(info.tenantId);
  const tenantId = tenantScoped ? info.tenantId : env.LOCAL_CONFIG_TENANT_ID;
  if (!secretaryId || !UUID_RE.test(secretaryId) || !tenantId || !UUID_RE.test(tenantId) || !env.HYPERDRIVE) return { kind: "echo" };
  const config = await secretaryConfigLoader(env)(tenantId, secretaryId);
  if (!config) return { kind: "echo" };
  const s = config.secretary;
  return {
    kind: "ai",
    tenantId,
    secretaryId,
    tenantScoped,
    processingMode: s.processingMode,
    provider: config.provider,
    fallbackProvider: config.fallbackProvider,
    instructions: s.systemPrompt,
    voice: s.voice,
    language: s.language,
    greeting: s.greeting,
    vad: s.vad,
    handoff: handoffPlanOf(config),
  };
}
