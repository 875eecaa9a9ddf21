/**
 * AI calls through the hub, in the Workers runtime, against the OpenAI
 * Realtime stand-in: greeting first (then from the cache), caller speech
 * transcribed and stored, agent answers in 100 ms chunks at the call's
 * rate, barge-in clears playback and truncates at the relay's playedMs,
 * and a failing provider fails over to the fallback.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { Direction, Encoding, type AudioFrame } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import type { CallSession } from "../call-session.js";
import type { RuntimeProvider } from "../config/secretary-config.js";
import { greetingKey } from "../greeting-cache.js";
import { frames as split, standInLog, testKey, utterance } from "./provider-harness.js";
import { callStart, eventually, TestRelay } from "./relay-link.js";

const relayId = env.RELAY_ID ?? "";
const session = (callId: string) => env.CALL_SESSION.get(env.CALL_SESSION.idFromName(`${relayId}/${callId}`));

function provider(key: string, model = "gpt-realtime"): RuntimeProvider {
  // A keyed provider never falls back to the env's stand-in URLs: name the stand-in as its base URL.
  return { id: crypto.randomUUID(), name: model, kind: "realtime", vendor: "openai", model, baseUrl: env.OPENAI_BASE_URL!, apiKey: key };
}

function plan(primary: RuntimeProvider | null, fallback: RuntimeProvider | null = null, secretaryId = crypto.randomUUID()): AiPlan {
  return {
    kind: "ai",
    tenantId: crypto.randomUUID(),
    secretaryId,
    tenantScoped: false,
    processingMode: "realtime",
    provider: primary,
    fallbackProvider: fallback,
    instructions: "Você é a secretária.",
    voice: "marin",
    language: "pt-BR",
    greeting: "Olá! Você ligou para a empresa. Como posso ajudar?",
    vad: { type: "server_vad", silenceDurationMs: 500 },
  };
}

/** The caller's side of mod_audio_stream: a 20 ms frame every 20 ms, silence unless told to speak. */
class Caller {
  private queue: Uint8Array[] = [];
  private seq = 0;
  private readonly timer: number;
  constructor(
    private readonly relay: TestRelay,
    private readonly slot: number,
  ) {
    this.timer = setInterval(() => this.tick(), 40) as unknown as number;
  }
  say(pcm: Uint8Array): void {
    this.queue.push(...split(pcm, 16000));
  }
  get speaking(): boolean {
    return this.queue.length > 0;
  }
  stop(): void {
    clearInterval(this.timer);
  }
  private tick(): void {
    const out: AudioFrame[] = [];
    for (let i = 0; i < 2; i++) {
      const payload = this.queue.shift() ?? new Uint8Array(640);
      out.push({ slot: this.slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000, seq: this.seq, timestampMs: this.seq * 20, payload });
      this.seq++;
    }
    try {
      this.relay.send([], out);
    } catch {
      this.stop();
    }
  }
}

const msOf = (fs: AudioFrame[]) => fs.reduce((ms, f) => ms + f.payload.byteLength / 32, 0);

/** Resolves once no agent audio arrived on `slot` for `quietMs`. */
async function quiet(relay: TestRelay, slot: number, quietMs: number): Promise<void> {
  let count = -1;
  while (relay.framesFor(slot).length !== count) {
    count = relay.framesFor(slot).length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function startCall(p: AiPlan, slot: number) {
  const { relay } = await TestRelay.ready();
  const callId = crypto.randomUUID();
  await runInDurableObject(session(callId), (s: CallSession) => void (s.presetPlan = p));
  const t0 = Date.now();
  relay.send([callStart(callId, slot)]);
  const caller = new Caller(relay, slot);
  cleanup.push(() => caller.stop(), () => relay.close());
  return { relay, callId, caller, t0 };
}

describe("an AI call through the hub (OpenAI Realtime stand-in)", { timeout: 30_000 }, () => {
  it("greets, hears the caller, answers, stores the transcript; barge-in clears playback and truncates at the relay's playedMs", async () => {
    const key = testKey("default");
    const { relay, callId, caller } = await startCall(plan(provider(key)), 3);
    // The greeting, in 100 ms chunks of 16 kHz L16 (the call's format), then quiet.
    const greeting = await relay.waitForFrames(3, 20, 10_000);
    expect(greeting[0]).toMatchObject({ encoding: Encoding.L16, sampleRate: 16000 });
    expect(greeting[0]!.payload.byteLength).toBe(3200);
    await eventually(() => session(callId).status(), (s) => s.facts.greetingMs !== null && s.facts.greetingCached === false, 10_000);
    await quiet(relay, 3, 600);
    const greetingMs = msOf(relay.framesFor(3));
    caller.say(utterance(16000));
    const s1 = await eventually(() => session(callId).status(), (s) => s.transcript.some((t) => t.role === "caller"), 10_000);
    expect(s1.transcript.find((t) => t.role === "caller")?.text).toContain("horário");
    // The answer starts; let a second of it play, then the caller talks over it.
    await relay.waitUntil("answer audio", () => (msOf(relay.framesFor(3)) > greetingMs + 1000 ? true : undefined), 10_000);
    caller.say(utterance(16000));
    const clear = await relay.waitForControl("playback.clear", (c) => c.callId === callId);
    expect(clear.reason).toBe("barge-in");
    const relayPlayedMs = Math.round(msOf(relay.framesFor(3))) - 200; // 200 ms were still queued at the relay
    relay.send([{ type: "playback.event", callId, event: "cleared", playedMs: relayPlayedMs }]);
    const s2 = await eventually(() => session(callId).status(), (s) => s.bargeIns.length > 0, 5_000);
    expect(s2.bargeIns[0]).toMatchObject({ source: "relay", playedMs: relayPlayedMs - greetingMs });
    const truncates = async () => (await standInLog(env.OPENAI_BASE_URL!, key)).filter((e) => e.type === "conversation.item.truncate");
    await expect.poll(truncates).toHaveLength(1);
    expect((await truncates())[0]).toMatchObject({ audio_end_ms: relayPlayedMs - greetingMs });
    expect((await standInLog(env.OPENAI_BASE_URL!, key)).filter((e) => e.type === "error")).toEqual([]);
    const s3 = await eventually(() => session(callId).status(), (s) => s.turns.length >= 1 && s.transcript.some((t) => t.role === "agent" && t.provider !== "greeting-cache" && !t.text.startsWith("Olá")), 10_000);
    expect(s3.turns[0]!.latencyMs).toBeGreaterThan(0);
    expect(s3.provider).toBe("openai-realtime:gpt-realtime");
    // Agent audio rides on the upstream calls' returns; pushes through the hub are the exception.
    const downFrames = relay.framesFor(3).length;
    // eslint-disable-next-line no-console -- a figure for the issue's note, not an assertion
    console.log(`hub pushes ${s3.pushes} for ${downFrames} agent frames of 100 ms and one barge-in; turn latency ${s3.turns[0]!.latencyMs} ms`);
  });

  it("speaks a repeat call's greeting from the cache at once", async () => {
    const secretaryId = crypto.randomUUID();
    const first = await startCall(plan(provider(testKey("default")), null, secretaryId), 4);
    await first.relay.waitForFrames(4, 5, 10_000);
    await eventually(() => session(first.callId).status(), (s) => s.facts.greetingMs !== null, 10_000);
    // The greeting is cached once its response is done.
    const key = greetingKey({ secretaryId, provider: "openai-realtime:gpt-realtime", voice: "marin", text: plan(null).greeting! });
    await eventually(() => env.GREETING_CACHE.get(env.GREETING_CACHE.idFromName(key)).get(), (g) => g !== null, 10_000);
    const second = await startCall(plan(provider(testKey("default")), null, secretaryId), 5);
    await second.relay.waitForFrames(5, 1, 5_000);
    const s = await session(second.callId).status();
    expect(s.facts.greetingCached).toBe(true);
    const firstMs = (await session(first.callId).status()).facts.greetingMs!;
    // Printed for the record (latency figures are the benchmark issue's to assert).
    // eslint-disable-next-line no-console -- a figure for the issue's note, not an assertion
    console.log(`greeting first audio: synthesized ${firstMs} ms, from cache ${s.facts.greetingMs} ms`);
    expect(s.transcript[0]).toMatchObject({ role: "agent", provider: "greeting-cache" });
  });

  it("fails over to the fallback provider when the primary errors mid-call, seeded with the conversation", async () => {
    const { relay, callId, caller } = await startCall(plan(provider(testKey("error")), provider(testKey("default"), "gpt-realtime-mini")), 6);
    await relay.waitForFrames(6, 10, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    caller.say(utterance(16000));
    const s = await eventually(() => session(callId).status(), (st) => st.facts.providers.length === 2 && st.transcript.some((t) => t.provider === "openai-realtime:gpt-realtime-mini"), 15_000);
    expect(s.facts.providers).toEqual(["openai-realtime:gpt-realtime", "openai-realtime:gpt-realtime-mini"]);
    expect(s.ended).toBe(false);
  });

  it("fails over when the provider goes silent after the caller spoke (stall timeout)", async () => {
    const p = { ...plan(provider(testKey("stall")), provider(testKey("default"), "gpt-realtime-mini")), timeouts: { stallMs: 1500 } };
    const { relay, callId, caller } = await startCall(p, 10);
    await relay.waitForFrames(10, 10, 10_000);
    await quiet(relay, 10, 600);
    caller.say(utterance(16000));
    const s = await eventually(() => session(callId).status(), (st) => st.facts.providers.length === 2, 15_000);
    expect(s.facts.providers).toEqual(["openai-realtime:gpt-realtime", "openai-realtime:gpt-realtime-mini"]);
    // The fallback, seeded with the conversation, answers the question the stalled one left hanging.
    const before = relay.framesFor(10).length;
    await relay.waitForFrames(10, before + 10, 10_000);
  });

  it("Gemini: the session's own VAD catches a barge-in while a finished answer is still playing", async () => {
    const gemini: RuntimeProvider = { ...provider(testKey("default"), "gemini-live-2.5-flash-preview"), vendor: "gemini", baseUrl: env.GEMINI_BASE_URL! };
    const { relay, callId, caller } = await startCall(plan(gemini), 11);
    await relay.waitForFrames(11, 10, 10_000);
    await quiet(relay, 11, 600);
    const greetingMs = msOf(relay.framesFor(11));
    caller.say(utterance(16000));
    // The stand-in streams the whole answer in under a second; it plays for ~4 s.
    await relay.waitUntil("answer playing", () => (msOf(relay.framesFor(11)) > greetingMs + 1500 ? true : undefined), 10_000);
    caller.say(utterance(16000));
    expect((await relay.waitForControl("playback.clear", (c) => c.callId === callId)).reason).toBe("barge-in");
    const s = await eventually(() => session(callId).status(), (st) => st.bargeIns.length > 0, 5_000);
    expect(s.bargeIns[0]).toMatchObject({ source: "estimate" });
  });

  it("runs a tool the model calls and hands the result back (diagnostic echo)", async () => {
    const key = testKey("tool");
    const { relay, callId, caller } = await startCall({ ...plan(provider(key)), diagnosticTools: true }, 12);
    await relay.waitForFrames(12, 10, 10_000);
    await quiet(relay, 12, 600);
    caller.say(utterance(16000));
    await eventually(() => session(callId).status(), (st) => st.transcript.some((t) => t.role === "agent" && t.text.startsWith("Claro")), 15_000);
    const sent = await standInLog(env.OPENAI_BASE_URL!, key);
    expect(sent.find((e) => e.type === "session.update")).toMatchObject({ session: { tools: [{ type: "function", name: "echo" }] } });
    expect(sent.find((e) => e.type === "conversation.item.create")).toMatchObject({ item: { type: "function_call_output", output: JSON.stringify({ echoed: "ping" }) } });
  });

  it("turn_based: greets with synthesized speech, transcribes the caller and answers through STT -> LLM -> TTS", async () => {
    const p = { ...plan(provider(testKey("default"))), processingMode: "turn_based" as const };
    const { relay, callId, caller } = await startCall(p, 8);
    await relay.waitForFrames(8, 10, 10_000);
    await quiet(relay, 8, 600);
    const greetingFrames = relay.framesFor(8).length;
    caller.say(utterance(16000));
    const s = await eventually(() => session(callId).status(), (st) => st.transcript.some((t) => t.role === "agent" && t.text.startsWith("Claro")), 15_000);
    expect(s.provider).toBe("turn-based:openai");
    const turn = (await eventually(() => session(callId).status(), (st) => st.turns.length > 0, 10_000)).turns[0]!;
    // eslint-disable-next-line no-console -- a figure for the issue's note, not an assertion
    console.log(`turn-based turn latency (end of speech by our VAD -> first answer audio sent): ${turn.latencyMs} ms`);
    expect(s.transcript.map((t) => t.role)).toEqual(expect.arrayContaining(["caller", "agent"]));
    await relay.waitForFrames(8, greetingFrames + 10, 10_000);
  });

  it("auto: a realtime provider that fails to open gives way to the turn-based pipeline", async () => {
    const gemini: RuntimeProvider = { ...provider(testKey("unauthorized"), "gemini-live-2.5-flash-preview"), vendor: "gemini", baseUrl: env.GEMINI_BASE_URL! };
    const p = { ...plan(gemini, provider(testKey("default"))), processingMode: "auto" as const };
    const { relay, callId, caller } = await startCall(p, 9);
    await relay.waitForFrames(9, 10, 10_000);
    caller.say(utterance(16000));
    const s = await eventually(() => session(callId).status(), (st) => st.transcript.some((t) => t.role === "caller"), 15_000);
    expect(s.facts.providers).toEqual(["gemini-live:gemini-live-2.5-flash-preview", "turn-based:openai"]);
  });

  it("ends the call with a clear cause when no provider is left", async () => {
    const { relay, callId } = await startCall(plan(provider(testKey("unauthorized"))), 7);
    const end = await relay.waitForControl("call.end", (c) => c.callId === callId);
    expect(end.reason).toBe("provider-unavailable");
    expect((await session(callId).status()).facts.outcome).toBe("failed");
  });
});
