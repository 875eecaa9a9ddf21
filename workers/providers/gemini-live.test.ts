import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventRecorder, frames, standInLog, testKey, utterance } from "../test/provider-harness.js";
import { GeminiLive } from "./gemini-live.js";
import type { SessionSetup } from "./provider.js";

const setup: SessionSetup = {
  instructions: "Você é uma secretária.",
  voice: "Kore",
  language: "pt-BR",
  tools: [{ name: "echo", description: "Echoes its input", parameters: { type: "object", properties: { text: { type: "string" } } } }],
  vad: { silenceDurationMs: 500 },
  history: [],
};
const adapter = (key: string) => new GeminiLive({ apiKey: key, baseUrl: env.GEMINI_BASE_URL!, setup });
function speak(p: GeminiLive): void {
  for (const f of frames(utterance(16000), 16000)) p.sendAudio(f);
}

describe("Gemini Live adapter (@google/genai) against its stand-in", { timeout: 20_000 }, () => {
  it("connects through //ws/ after setupComplete, greets, transcribes the caller and answers at 24 kHz", async () => {
    const key = testKey("default");
    const p = adapter(key);
    const ev = new EventRecorder();
    await p.open(ev);
    const sent = await standInLog(env.GEMINI_BASE_URL!, key);
    expect(sent[0]).toMatchObject({ path: expect.stringMatching(/^\/\/ws\/google\.ai\.generativelanguage\.v1beta\.GenerativeService\.BidiGenerateContent$/) });
    expect(sent[1]).toMatchObject({ setup: { model: expect.stringMatching(/^models\//), generationConfig: { responseModalities: ["AUDIO"] } } });
    const greeting = await p.say("Olá!");
    await ev.waitFor((r) => r.kind === "done" && r.responseId === greeting);
    expect(ev.audioBytes(greeting)).toBeGreaterThan(48_000);
    speak(p);
    const caller = await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller" && r.t.final);
    expect(caller).toMatchObject({ t: { text: expect.stringContaining("horário") } });
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.final && r.t.text.startsWith("Claro"));
    expect(ev.log.some((r) => r.kind === "usage")).toBe(true);
    p.close();
  });

  it("treats serverContent.interrupted as barge-in and drops the rest of that turn", async () => {
    const p = adapter(testKey("default"));
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    const first = (await ev.waitFor((r) => r.kind === "audio")) as { responseId: string };
    ev.onSpeechStarted = () => p.interrupt(first.responseId);
    const mark = ev.log.length;
    speak(p);
    await ev.waitFor((r) => r.kind === "speech_started", 10_000, mark);
    const after = ev.log.length;
    await ev.waitFor((r) => r.kind === "audio" && r.responseId !== first.responseId, 10_000, after);
    expect(ev.log.slice(after).filter((r) => r.kind === "audio" && r.responseId === first.responseId)).toEqual([]);
    p.close();
  });

  it("round-trips toolCall -> toolResponse", async () => {
    const key = testKey("tool");
    const p = adapter(key);
    const ev = new EventRecorder();
    ev.onTool = (call) => p.toolResult(call, { echoed: call.args.text });
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "tool")).toMatchObject({ call: { id: "fc-0", name: "echo", args: { text: "ping" } } });
    await ev.waitFor((r) => r.kind === "done");
    const sent = await standInLog(env.GEMINI_BASE_URL!, key);
    expect(sent.find((m) => "toolResponse" in m)).toMatchObject({ toolResponse: { functionResponses: [{ id: "fc-0", name: "echo", response: { output: { echoed: "ping" } } }] } });
    p.close();
  });

  it("resumes with the last handle after goAway and carries on", async () => {
    const key = testKey("goaway");
    const p = adapter(key);
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    await ev.waitFor((r) => r.kind === "done");
    await expect.poll(() => p.connections, { timeout: 5000 }).toBe(2);
    const sent = await standInLog(env.GEMINI_BASE_URL!, key);
    const setups = sent.filter((m) => "setup" in m) as { setup: { sessionResumption?: { handle?: string } } }[];
    expect(setups).toHaveLength(2);
    expect(setups[1]!.setup.sessionResumption?.handle).toMatch(/^handle-/);
    await new Promise((r) => setTimeout(r, 1200)); // past the old connection's close
    expect(ev.log.some((r) => r.kind === "ended")).toBe(false);
    const mark = ev.log.length;
    speak(p);
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller" && r.t.final, 10_000, mark);
    p.close();
  });

  it("reports a dropped connection as the end of the session", async () => {
    const p = adapter(testKey("error"));
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "ended")).toMatchObject({ end: { code: "error" } });
  });
});
