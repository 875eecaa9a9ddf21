/**
 * From a secretary's configured providers to the ordered list of sessions a
 * call may try: the primary, then the secretary's fallback, with processing
 * mode `auto` choosing realtime while the vendor is healthy in this isolate
 * and the turn-based pipeline otherwise. A vendor that failed a call is
 * marked unhealthy for a minute so the next calls do not wait on it.
 */
import type { AiPlan } from "../call-plan.js";
import type { RuntimeProvider } from "../config/secretary-config.js";
import type { Env } from "../env.js";
import { ElevenLabsAgent } from "./elevenlabs-agents.js";
import { GeminiLive } from "./gemini-live.js";
import { OpenAiRealtime } from "./openai-realtime.js";
import { ProviderError, type SessionSetup, type VoiceProvider } from "./provider.js";
import { TurnBasedPipeline } from "./turn-based/pipeline.js";

export interface Candidate {
  /** For logs and the call record. */
  label: string;
  /**
   * What makes two candidates the same session: the configured provider (two OpenAI providers
   * with the same model but different keys are two candidates), or the one turn-based pipeline.
   */
  key: string;
  vendor: string;
  make(setup: SessionSetup): VoiceProvider;
}

const UNHEALTHY_MS = 60_000;
const unhealthyUntil = new Map<string, number>();

export function markUnhealthy(vendor: string, now = Date.now()): void {
  unhealthyUntil.set(vendor, now + UNHEALTHY_MS);
}

export function isHealthy(vendor: string, now = Date.now()): boolean {
  return (unhealthyUntil.get(vendor) ?? 0) <= now;
}

/** The key, or the stand-ins' placeholder when the vendor's base URL is overridden locally (no key configured). */
function keyFor(p: RuntimeProvider, override: string | undefined): string {
  if (p.apiKey) return p.apiKey;
  if (p.baseUrl || override) return "sk-local-stand-in";
  throw new ProviderError("unauthorized", `provider ${p.name} has no API key`);
}

/**
 * The vendor base URLs in the Worker's env (the local stand-ins) apply only to providers with
 * neither a key nor a base URL of their own: a configured key never goes to a stand-in.
 */
function envBase(p: RuntimeProvider, value: string | undefined): string | undefined {
  return p.baseUrl ?? (p.apiKey ? undefined : value);
}

export function openAiBase(p: RuntimeProvider, env: Env): string {
  return (envBase(p, env.OPENAI_BASE_URL) ?? "https://api.openai.com/v1").replace(/\/+$/, "");
}

function realtime(p: RuntimeProvider, env: Env): Candidate | undefined {
  if (p.vendor === "openai" && p.kind === "realtime") {
    return {
      label: `openai-realtime:${p.model ?? "gpt-realtime"}`,
      key: `provider:${p.id}`,
      vendor: "openai",
      make: (setup) =>
        new OpenAiRealtime({
          apiKey: keyFor(p, env.OPENAI_BASE_URL),
          url: `${openAiBase(p, env).replace(/^http/, "ws")}/realtime`,
          model: p.model ?? "gpt-realtime",
          setup,
        }),
    };
  }
  if (p.vendor === "gemini") {
    const model = p.model ?? "gemini-live-2.5-flash-preview";
    const baseUrl = envBase(p, env.GEMINI_BASE_URL);
    return {
      label: `gemini-live:${model}`,
      key: `provider:${p.id}`,
      vendor: "gemini",
      make: (setup) => new GeminiLive({ apiKey: keyFor(p, env.GEMINI_BASE_URL), model, setup, ...(baseUrl ? { baseUrl } : {}) }),
    };
  }
  if (p.vendor === "elevenlabs" && p.model) {
    // The agent id is the provider's model; with no key the agent must be public.
    const agentId = p.model;
    const baseUrl = envBase(p, env.ELEVENLABS_BASE_URL);
    return {
      label: `elevenlabs-agents:${agentId}`,
      key: `provider:${p.id}`,
      vendor: "elevenlabs",
      make: (setup) => new ElevenLabsAgent({ agentId, apiKey: p.apiKey, setup, ...(baseUrl ? { baseUrl } : {}) }),
    };
  }
  return undefined;
}

/** The turn-based pipeline, on the first OpenAI provider of the secretary (its key serves STT, LLM and TTS). */
function turnBased(plan: AiPlan, env: Env): Candidate | undefined {
  const providers = [plan.provider, plan.fallbackProvider].filter((p): p is RuntimeProvider => p?.vendor === "openai");
  const p = providers[0];
  if (!p) return undefined;
  const model = (kind: RuntimeProvider["kind"]) => providers.find((q) => q.kind === kind)?.model ?? undefined;
  return {
    label: "turn-based:openai",
    key: "turn-based",
    vendor: "openai-rest",
    make: (setup) =>
      new TurnBasedPipeline(
        {
          apiKey: keyFor(p, env.OPENAI_BASE_URL),
          baseUrl: openAiBase(p, env),
          sttModel: model("stt"),
          llmModel: model("llm"),
          ttsModel: model("tts"),
          voice: setup.voice,
          language: setup.language,
        },
        setup,
      ),
  };
}

export function candidatesFor(plan: AiPlan, env: Env, now = Date.now()): Candidate[] {
  const out: Candidate[] = [];
  const add = (c: Candidate | undefined) => {
    if (c && !out.some((o) => o.key === c.key)) out.push(c);
  };
  const primary = plan.provider ? realtime(plan.provider, env) : undefined;
  const fallback = plan.fallbackProvider ? realtime(plan.fallbackProvider, env) : undefined;
  if (plan.processingMode === "turn_based") {
    add(turnBased(plan, env));
    add(fallback);
  } else if (plan.processingMode === "realtime") {
    add(primary);
    add(fallback);
    add(turnBased(plan, env));
  } else {
    // auto: realtime when the primary offers it and is healthy, else turn-based first.
    if (primary && isHealthy(primary.vendor, now)) add(primary);
    add(turnBased(plan, env));
    add(primary);
    add(fallback);
  }
  return out;
}
