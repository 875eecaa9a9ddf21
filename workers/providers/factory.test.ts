import { describe, expect, it } from "vitest";
import type { AiPlan } from "../call-plan.js";
import type { RuntimeProvider } from "../config/secretary-config.js";
import type { Env } from "../env.js";
import { candidatesFor, isHealthy, markUnhealthy } from "./factory.js";

const p = (vendor: string, kind: RuntimeProvider["kind"], model: string, apiKey: string | null = "k"): RuntimeProvider => ({ id: model, name: model, kind, vendor, model, baseUrl: null, apiKey });
const plan = (mode: AiPlan["processingMode"], provider: RuntimeProvider | null, fallback: RuntimeProvider | null = null): AiPlan => ({
  kind: "ai",
  tenantId: "t",
  secretaryId: "s",
  tenantScoped: true,
  processingMode: mode,
  provider,
  fallbackProvider: fallback,
  instructions: "",
  voice: null,
  language: "pt-BR",
  greeting: null,
  vad: {},
});
const env = {} as Env;
const labels = (pl: AiPlan, now?: number) => candidatesFor(pl, env, now).map((c) => c.label);

describe("candidatesFor", () => {
  it("realtime: the primary, then the fallback, then the turn-based pipeline as a last resort", () => {
    expect(labels(plan("realtime", p("openai", "realtime", "gpt-realtime"), p("gemini", "realtime", "gemini-live")))).toEqual([
      "openai-realtime:gpt-realtime",
      "gemini-live:gemini-live",
      "turn-based:openai",
    ]);
  });

  it("a fallback with the primary's vendor and model (a second key) is still a fallback", () => {
    const primary = p("openai", "realtime", "gpt-realtime", "key-1");
    const second = { ...p("openai", "realtime", "gpt-realtime", "key-2"), id: "second-account" };
    expect(labels(plan("realtime", primary, second))).toEqual(["openai-realtime:gpt-realtime", "openai-realtime:gpt-realtime", "turn-based:openai"]);
    // The same configured provider twice is one candidate.
    expect(labels(plan("realtime", primary, primary))).toEqual(["openai-realtime:gpt-realtime", "turn-based:openai"]);
  });

  it("turn_based: the pipeline on the OpenAI key, then the fallback", () => {
    expect(labels(plan("turn_based", p("openai", "llm", "gpt-4o-mini"), p("elevenlabs", "realtime", "agent_1")))).toEqual(["turn-based:openai", "elevenlabs-agents:agent_1"]);
  });

  it("auto: realtime while the vendor is healthy, turn-based first while it is not", () => {
    const pl = plan("auto", p("openai", "realtime", "gpt-realtime"));
    const now = 5_000_000;
    expect(labels(pl, now)).toEqual(["openai-realtime:gpt-realtime", "turn-based:openai"]);
    markUnhealthy("openai", now);
    expect(isHealthy("openai", now + 1000)).toBe(false);
    expect(labels(pl, now + 1000)).toEqual(["turn-based:openai", "openai-realtime:gpt-realtime"]);
    expect(labels(pl, now + 61_000)).toEqual(["openai-realtime:gpt-realtime", "turn-based:openai"]);
  });

  it("a provider with no key and no stand-in URL cannot be made (the next candidate is tried)", () => {
    const [c] = candidatesFor(plan("realtime", p("openai", "realtime", "gpt-realtime", null)), env);
    expect(() => c!.make({ instructions: "", voice: null, language: "pt-BR", tools: [], vad: {}, history: [] })).toThrow(/no API key/);
  });
});
