import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventRecorder, frames, standInLog, testKey, utterance } from "../test/provider-harness.js";
import { ElevenLabsAgent, parseElevenLabsFormat } from "./elevenlabs-agents.js";
import type { SessionSetup } from "./provider.js";

const setup: SessionSetup = {
  instructions: "Você é uma secretária.",
  voice: "voice-123",
  language: "pt-BR",
  tools: [],
  vad: {},
  history: [],
  greeting: "Olá! Você ligou para a empresa.",
};
const base = () => env.ELEVENLABS_BASE_URL!;
function speak(p: ElevenLabsAgent): void {
  const rate = p.input.sampleRate;
  const pcm = utterance(rate);
  for (const f of frames(pcm, rate)) p.sendAudio(p.input.encoding === "pcm16" ? f : new Uint8Array(f.byteLength / 2).fill(0xff));
}

describe("ElevenLabs Agents adapter against its stand-in", { timeout: 20_000 }, () => {
  it("opens through a signed URL, sends the overrides, speaks first_message, answers pings, transcribes and answers", async () => {
    const key = testKey("default");
    const p = new ElevenLabsAgent({ agentId: "agent_demo", apiKey: key, baseUrl: base(), setup });
    const ev = new EventRecorder();
    await p.open(ev);
    expect(p.output).toEqual({ encoding: "pcm16", sampleRate: 16000 });
    const first = await p.say();
    expect(ev.audioBytes(first)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2300)); // past two pings
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller")).toMatchObject({ t: { final: true, text: expect.stringContaining("horário") } });
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.text.startsWith("Claro"));
    const sent = await standInLog(base(), key);
    expect(sent[0]).toEqual({ signedUrlFor: "agent_demo" });
    expect(sent.find((m) => m.type === "conversation_initiation_client_data")).toMatchObject({
      conversation_config_override: { agent: { prompt: { prompt: "Você é uma secretária." }, first_message: "Olá! Você ligou para a empresa.", language: "pt" }, tts: { voice_id: "voice-123" } },
    });
    const pongs = sent.filter((m) => m.type === "pong");
    expect(pongs.length).toBeGreaterThanOrEqual(2);
    expect(ev.log.some((r) => r.kind === "ended")).toBe(false);
    p.close();
  });

  it("takes the agent's formats from the metadata (ulaw_8000)", async () => {
    const p = new ElevenLabsAgent({ agentId: testKey("ulaw"), apiKey: null, baseUrl: base(), setup: { ...setup, greeting: undefined } });
    await p.open(new EventRecorder());
    expect(p.input).toEqual({ encoding: "pcmu", sampleRate: 8000 });
    expect(p.output).toEqual({ encoding: "pcmu", sampleRate: 8000 });
    expect(parseElevenLabsFormat("pcm_44100")).toEqual({ encoding: "pcm16", sampleRate: 44100 });
    p.close();
  });

  it("interruption is barge-in: audio up to the interrupted event is dropped", async () => {
    const p = new ElevenLabsAgent({ agentId: testKey("default"), apiKey: null, baseUrl: base(), setup: { ...setup, greeting: undefined } });
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    const first = (await ev.waitFor((r) => r.kind === "audio")) as { responseId: string };
    speak(p);
    await ev.waitFor((r) => r.kind === "speech_started");
    const after = ev.log.length;
    await ev.waitFor((r) => r.kind === "audio" && r.responseId !== first.responseId, 10_000, after);
    expect(ev.log.slice(after).filter((r) => r.kind === "audio" && r.responseId === first.responseId)).toEqual([]);
    p.close();
  });

  it("round-trips client_tool_call -> client_tool_result, and refuses a bad key", async () => {
    const key = testKey("tool");
    const p = new ElevenLabsAgent({ agentId: "agent_demo", apiKey: key, baseUrl: base(), setup: { ...setup, greeting: undefined } });
    const ev = new EventRecorder();
    ev.onTool = (call) => p.toolResult(call, { echoed: call.args.text });
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "tool")).toMatchObject({ call: { id: "tool_0", name: "echo", args: { text: "ping" } } });
    await ev.waitFor((r) => r.kind === "audio");
    expect((await standInLog(base(), key)).find((m) => m.type === "client_tool_result")).toMatchObject({ tool_call_id: "tool_0", result: JSON.stringify({ echoed: "ping" }), is_error: false });
    p.close();
    const bad = new ElevenLabsAgent({ agentId: "agent_demo", apiKey: testKey("unauthorized"), baseUrl: base(), setup });
    await expect(bad.open(new EventRecorder())).rejects.toMatchObject({ code: "unauthorized", status: 401 });
  });

  it("reports the server closing mid-call as the end of the session (the call fails over)", async () => {
    const p = new ElevenLabsAgent({ agentId: testKey("error"), apiKey: null, baseUrl: base(), setup: { ...setup, greeting: undefined } });
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    expect(await ev.waitFor((r) => r.kind === "ended")).toMatchObject({ end: { code: "error", message: expect.stringContaining("1011") } });
  });
});
