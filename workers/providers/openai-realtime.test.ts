import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventRecorder, frames, standInLog, testKey, utterance } from "../test/provider-harness.js";
import { notAccepted, OPENAI_SESSION_MAX_MS, OpenAiRealtime } from "./openai-realtime.js";
import { ProviderError, type SessionSetup } from "./provider.js";

const setup: SessionSetup = {
  instructions: "Você é uma secretária.",
  voice: "marin",
  language: "pt-BR",
  tools: [{ name: "echo", description: "Echoes its input", parameters: { type: "object", properties: { text: { type: "string" } } } }],
  vad: { type: "server_vad", silenceDurationMs: 500 },
  history: [],
};
const realtimeUrl = () => `${env.OPENAI_BASE_URL!.replace(/^http/, "ws")}/realtime`;

function adapter(key: string, extra: Partial<ConstructorParameters<typeof OpenAiRealtime>[0]> = {}) {
  return new OpenAiRealtime({ apiKey: key, url: realtimeUrl(), setup, ...extra });
}

function speak(p: OpenAiRealtime, rate = 24000): void {
  for (const f of frames(utterance(rate), rate)) p.sendAudio(f);
}

describe("OpenAI Realtime adapter against its stand-in", () => {
  it("holds a whole conversation: session.updated checked, greeting said, caller transcribed, agent answers", async () => {
    const key = testKey("default");
    const p = adapter(key);
    const ev = new EventRecorder();
    let accepted: Record<string, unknown> | undefined;
    ev.configured = (a: Record<string, unknown>) => (accepted = a);
    await p.open(ev);
    // Everything we set came back in session.updated (GA ignores unknown names silently).
    expect(accepted).toEqual({ notAccepted: [] });
    expect(notAccepted({ audio: { output: { voice: "marin" } }, modalities: ["audio"] }, { audio: { output: { voice: "marin" } } })).toEqual(["session.modalities"]);
    const greeting = await p.say("Olá! Você ligou para a empresa.");
    await ev.waitFor((r) => r.kind === "done" && r.responseId === greeting);
    expect(ev.audioBytes(greeting)).toBeGreaterThan(48_000); // > 1 s of 24 kHz PCM16
    speak(p);
    const final = await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller" && r.t.final);
    expect(final).toMatchObject({ t: { text: expect.stringContaining("horário") } });
    const answer = await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.final && !r.t.text.startsWith("Olá"));
    expect(answer).toBeDefined();
    expect(ev.log.some((r) => r.kind === "usage" && (r.u.outputTokens ?? 0) > 0)).toBe(true);
    const sent = await standInLog(realtimeUrl(), key);
    expect(sent[1]).toMatchObject({ type: "session.update", session: { type: "realtime", audio: { input: { turn_detection: { type: "server_vad", silence_duration_ms: 500 }, transcription: { model: "gpt-4o-mini-transcribe" } } } } });
    p.close("test over");
  });

  it("barge-in: truncates at the played milliseconds and drops the cancelled response's late deltas", async () => {
    const key = testKey("default");
    const p = adapter(key);
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    const first = await ev.waitFor((r) => r.kind === "audio");
    const responseId = (first as { responseId: string }).responseId;
    await ev.waitFor((r) => r.kind === "audio" && r.responseId === responseId && ev.audioBytes(responseId) >= 48_000);
    ev.onSpeechStarted = () => p.interrupt(responseId, 700);
    const mark = ev.log.length;
    speak(p);
    await ev.waitFor((r) => r.kind === "speech_started", 10_000, mark);
    const afterInterrupt = ev.log.length;
    const log = async () => (await standInLog(realtimeUrl(), key)).filter((e) => e.type === "conversation.item.truncate");
    await expect.poll(log).toHaveLength(1);
    expect((await log())[0]).toMatchObject({ content_index: 0, audio_end_ms: 700 });
    await ev.waitFor((r) => r.kind === "done" && r.responseId !== responseId, 10_000, afterInterrupt);
    expect(ev.log.slice(afterInterrupt).filter((r) => r.kind === "audio" && r.responseId === responseId)).toEqual([]);
    p.close("test over");
  });

  it("never truncates at 0 or past the generated audio", async () => {
    const key = testKey("default");
    const p = adapter(key);
    const ev = new EventRecorder();
    await p.open(ev);
    const r1 = await p.say("Olá");
    await ev.waitFor((r) => r.kind === "audio" && r.responseId === r1);
    p.interrupt(r1, 0);
    const truncates = async () => (await standInLog(realtimeUrl(), key)).filter((e) => e.type === "conversation.item.truncate");
    await expect.poll(truncates).toHaveLength(1);
    expect((await truncates())[0]).toMatchObject({ audio_end_ms: 1 });
    const r2 = await p.say("Olá de novo");
    await ev.waitFor((r) => r.kind === "done" && r.responseId === r2);
    p.interrupt(r2, 10 * 60_000); // all of it was heard: nothing to truncate
    await new Promise((r) => setTimeout(r, 100));
    expect(await truncates()).toHaveLength(1);
    p.close("test over");
  });

  it("round-trips a tool call: function_call_arguments.done -> function_call_output + response.create", async () => {
    const key = testKey("tool");
    const p = adapter(key);
    const ev = new EventRecorder();
    ev.onTool = (call) => p.toolResult(call, { echoed: call.args.text });
    await p.open(ev);
    speak(p);
    const tool = await ev.waitFor((r) => r.kind === "tool");
    expect(tool).toMatchObject({ call: { name: "echo", args: { text: "ping" } } });
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.final);
    const sent = await standInLog(realtimeUrl(), key);
    const out = sent.find((e) => e.type === "conversation.item.create");
    expect(out).toMatchObject({ item: { type: "function_call_output", output: JSON.stringify({ echoed: "ping" }) } });
    p.close("test over");
  });

  it("reports a vendor error as the end of the session, and refuses a bad key at open", async () => {
    const p = adapter(testKey("error"));
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    const ended = await ev.waitFor((r) => r.kind === "ended");
    expect(ended).toMatchObject({ end: { code: "error" } });
    await expect(adapter(testKey("unauthorized")).open(new EventRecorder())).rejects.toMatchObject({ code: "unauthorized", status: 401 });
    await expect(adapter(testKey("unauthorized")).open(new EventRecorder())).rejects.toBeInstanceOf(ProviderError);
  });

  it("rolls over before 60 minutes to a new session seeded with the conversation", async () => {
    const key = testKey("default");
    let now = 1_000_000;
    const p = adapter(key, { now: () => now });
    const ev = new EventRecorder();
    await p.open(ev);
    speak(p);
    await ev.waitFor((r) => r.kind === "done");
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "agent" && r.t.final);
    now += OPENAI_SESSION_MAX_MS - 60_000; // one minute before the vendor would cut us off
    p.sendAudio(new Uint8Array(960));
    await expect.poll(() => p.sessions).toBe(2);
    const sent = await standInLog(realtimeUrl(), key);
    const lastConnect = sent.map((e) => e.type).lastIndexOf("_connected");
    const second = sent.slice(lastConnect);
    expect(second.filter((e) => e.type === "conversation.item.create").map((e) => (e.item as { role: string }).role)).toEqual(["user", "assistant"]);
    // The call goes on on the new session.
    const mark = ev.log.length;
    speak(p);
    await ev.waitFor((r) => r.kind === "transcript" && r.t.role === "caller" && r.t.final, 10_000, mark);
    p.close("test over");
  });
});
