import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventRecorder, frames, standInLog, testKey, utterance } from "../../test/provider-harness.js";
import type { SessionSetup } from "../provider.js";
import { TurnBasedPipeline } from "./pipeline.js";
import { SentenceSplitter } from "./sentences.js";

const setup: SessionSetup = {
  instructions: "Você é uma secretária.",
  voice: "marin",
  language: "pt-BR",
  tools: [{ name: "echo", description: "Echoes its input", parameters: { type: "object", properties: { text: { type: "string" } } } }],
  vad: { silenceDurationMs: 500 },
  history: [],
};
const pipeline = (key: string) => new TurnBasedPipeline({ apiKey: key, baseUrl: env.OPENAI_BASE_URL!, language: "pt-BR", voice: "marin" }, setup);
function speak(p: TurnBasedPipeline): void {
  for (const f of frames(utterance(16000), 16000)) p.sendAudio(f);
}

describe("SentenceSplitter", () => {
  it("releases sentences as soon as they end, and the rest at the end", () => {
    const s = new SentenceSplitter();
    expect(s.push("Claro! Vou trans")).toEqual(["Claro!"]);
    expect(s.push("ferir você agora. Um")).toEqual(["Vou transferir você agora."]);
    expect(s.flush()).toEqual(["Um"]);
  });
});

describe("turn-based pipeline against the OpenAI REST stand-in", { timeout: 20_000 }, () => {
  it("endpoints the caller, transcribes a WAV, streams the answer and speaks it sentence by sentence at 24 kHz", async () => {
    const key = testKey("default");
    const p = pipeline(key);
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    await ev.waitFor((r) => r.kind === "speech_stopped");
    expect(await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller")).toMatchObject({ t: { final: true, text: expect.stringContaining("horário") } });
    const done = (await ev.waitFor((r) => r.kind === "done")) as { responseId: string };
    expect(ev.audioBytes(done.responseId)).toBeGreaterThan(48_000);
    expect(ev.log.some((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.text.startsWith("Claro!"))).toBe(true);
    const sent = await standInLog(env.OPENAI_BASE_URL!, key);
    expect(sent[0]).toMatchObject({ path: "/v1/audio/transcriptions", model: "gpt-4o-mini-transcribe", language: "pt" });
    expect(sent[1]).toMatchObject({ path: "/v1/chat/completions", stream: true, tools: [{ type: "function", function: { name: "echo" } }] });
    // Two sentences, two speech requests, in order.
    expect(sent.filter((e) => e.path === "/v1/audio/speech").map((e) => e.input)).toEqual(["Claro!", "Vou transferir você agora para um atendente."]);
    expect(sent.find((e) => e.path === "/v1/audio/speech")).toMatchObject({ response_format: "pcm", voice: "marin" });
  });

  it("round-trips a tool call before answering", async () => {
    const key = testKey("tool");
    const p = pipeline(key);
    const ev = new EventRecorder();
    ev.onTool = (call) => p.toolResult(call, { echoed: call.args.text });
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "tool")).toMatchObject({ call: { id: "call_echo_1", name: "echo", args: { text: "ping" } } });
    await ev.waitFor((r) => r.kind === "done");
    const chats = (await standInLog(env.OPENAI_BASE_URL!, key)).filter((e) => e.path === "/v1/chat/completions");
    expect((chats[1]!.messages as { role: string }[]).at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_echo_1", content: JSON.stringify({ echoed: "ping" }) });
  });

  it("stops speaking when the caller talks over it", async () => {
    const p = pipeline(testKey("default"));
    const ev = new EventRecorder();
    await p.open(ev);
    const id = await p.say("Olá! Você ligou para a empresa. Como posso ajudar?");
    await ev.waitFor((r) => r.kind === "audio" && r.responseId === id);
    speak(p);
    await ev.waitFor((r) => r.kind === "speech_started");
    const after = ev.log.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(ev.log.slice(after).filter((r) => r.kind === "audio" && r.responseId === id)).toEqual([]);
    expect(ev.log.some((r) => r.kind === "done" && r.responseId === id)).toBe(false);
  });

  it("ends the session when the LLM fails (the call fails over)", async () => {
    const p = pipeline(testKey("error"));
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "ended")).toMatchObject({ end: { code: "error", message: expect.stringContaining("500") } });
  });
});
