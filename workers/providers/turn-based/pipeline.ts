/**
 * The turn-based pipeline (processing mode `turn_based`, and `auto` when no
 * healthy realtime provider is at hand): our own endpointing on the
 * caller's audio (an energy VAD; nothing to download in Workers), then
 * transcription, a streamed chat completion with tools, and speech made
 * sentence by sentence, so the agent starts talking before the whole
 * answer exists. Caller speech while the agent talks stops it (barge-in).
 * REST failures of STT or LLM end the session (the call fails over); a
 * failed sentence of TTS is skipped (the call survives it).
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { concatPcm16, pcm16FromBytes } from "../../../shared/audio/pcm16.js";
import { EnergyVad } from "../../../shared/audio/vad.js";
import { ProviderError, type HistoryTurn, type ProviderAudioFormat, type ProviderEvents, type SessionSetup, type ToolCall, type VoiceProvider } from "../provider.js";
import { OpenAiRest, type OpenAiRestOptions } from "./openai-rest.js";
import { SentenceSplitter } from "./sentences.js";

const PRE_ROLL_MS = 300;
const MAX_UTTERANCE_MS = 30_000;

export class TurnBasedPipeline implements VoiceProvider {
  readonly name = "turn-based";
  readonly input: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 16000 };
  readonly output: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 24000 };
  private readonly rest: OpenAiRest;
  private readonly vad: EnergyVad;
  private events: ProviderEvents | undefined;
  private readonly history: HistoryTurn[];
  private preRoll: Int16Array[] = [];
  private utterance: Int16Array[] | undefined;
  private turn: { id: string; abort: AbortController } | undefined;
  private n = 0;
  private readonly toolWaiters = new Map<string, (result: unknown) => void>();
  private closed = false;

  constructor(
    rest: OpenAiRestOptions,
    private readonly setup: SessionSetup,
  ) {
    this.rest = new OpenAiRest(rest);
    this.vad = new EnergyVad(16000, { silenceMs: setup.vad.silenceDurationMs ?? 600 });
    this.history = [...setup.history];
  }

  async open(events: ProviderEvents): Promise<void> {
    this.events = events;
  }

  sendAudio(bytes: Uint8Array): void {
    const samples = pcm16FromBytes(bytes);
    if (this.utterance) this.utterance.push(samples);
    else {
      this.preRoll.push(samples);
      while (this.preRoll.length > PRE_ROLL_MS / 20 + 1) this.preRoll.shift();
    }
    for (const e of this.vad.push(samples)) {
      if (e.type === "speech_start") {
        this.utterance = [...this.preRoll, ...(this.utterance ?? [])];
        this.preRoll = [];
        // The session knows whether the agent is audible (audio may still be playing at the relay).
        this.turn?.abort.abort();
        this.turn = undefined;
        this.events?.callerSpeechStarted();
      } else if (this.utterance) {
        const audio = concatPcm16(this.utterance).subarray(0, 16 * MAX_UTTERANCE_MS);
        this.utterance = undefined;
        this.events?.callerSpeechStopped();
        void this.runTurn(audio);
      }
    }
  }

  async say(text: string): Promise<string> {
    const t = this.newTurn();
    void this.speakAll([text], t).then(
      () => this.finish(t, text),
      (err: unknown) => this.fail(t, err),
    );
    return t.id;
  }

  interrupt(responseId: string): void {
    if (this.turn?.id === responseId) {
      this.turn.abort.abort();
      this.turn = undefined;
    }
  }

  toolResult(call: ToolCall, result: unknown): void {
    this.toolWaiters.get(call.id)?.(result);
  }

  respond(): void {
    void this.answer(this.newTurn());
  }

  close(): void {
    this.closed = true;
    this.turn?.abort.abort();
  }

  private newTurn(): { id: string; abort: AbortController } {
    this.turn?.abort.abort();
    this.turn = { id: `turn-${++this.n}`, abort: new AbortController() };
    return this.turn;
  }

  private async runTurn(audio: Int16Array): Promise<void> {
    const t = this.newTurn();
    try {
      const text = (await this.rest.transcribe(audio, 16000, t.abort.signal)).trim();
      if (t.abort.signal.aborted) return;
      if (!text) {
        this.turn = undefined;
        return this.events?.responseDone(t.id); // nothing to answer: not a stall
      }
      this.events?.transcript({ role: "caller", text, final: true, itemId: t.id });
      this.history.push({ role: "caller", text });
      await this.answer(t);
    } catch (err) {
      this.fail(t, err);
    }
  }

  private async answer(t: { id: string; abort: AbortController }): Promise<void> {
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: this.setup.instructions },
      ...this.history.map((h): ChatCompletionMessageParam => ({ role: h.role === "caller" ? "user" : "assistant", content: h.text })),
    ];
    let spoken = "";
    try {
      for (let round = 0; round < 3 && !t.abort.signal.aborted; round++) {
        const splitter = new SentenceSplitter();
        const speaking: Promise<void>[] = [];
        let calls: { id: string; name: string; arguments: string }[] = [];
        let said = "";
        for await (const part of this.rest.chat(messages, this.setup.tools, t.abort.signal)) {
          if (part.usage) this.events?.usage({ inputTokens: part.usage.prompt_tokens, outputTokens: part.usage.completion_tokens });
          if (part.toolCalls) calls = part.toolCalls;
          if (part.text) {
            said += part.text;
            const ready = splitter.push(part.text);
            if (ready.length) speaking.push(this.chain(ready, t));
          }
        }
        const rest = splitter.flush();
        if (rest.length) speaking.push(this.chain(rest, t));
        await Promise.all(speaking);
        spoken += said;
        if (calls.length === 0) break;
        messages.push({ role: "assistant", content: said || null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })) });
        for (const c of calls) messages.push({ role: "tool", tool_call_id: c.id, content: JSON.stringify(await this.callTool(c)) });
      }
    } catch (err) {
      return this.fail(t, err);
    }
    this.finish(t, spoken);
  }

  private callTool(c: { id: string; name: string; arguments: string }): Promise<unknown> {
    let args: Record<string, unknown> = {};
    try {
      args = JSON.parse(c.arguments || "{}") as Record<string, unknown>;
    } catch {
      args = { _raw: c.arguments };
    }
    return new Promise((resolve) => {
      this.toolWaiters.set(c.id, (r) => (this.toolWaiters.delete(c.id), resolve(r)));
      this.events?.toolCall({ id: c.id, name: c.name, args });
    });
  }

  /** Sentences are spoken in order: each waits for the one before it. */
  private speechChain: Promise<void> = Promise.resolve();
  private chain(sentences: string[], t: { id: string; abort: AbortController }): Promise<void> {
    this.speechChain = this.speechChain.catch(() => undefined).then(() => this.speakAll(sentences, t));
    return this.speechChain;
  }

  private async speakAll(sentences: string[], t: { id: string; abort: AbortController }): Promise<void> {
    for (const s of sentences) {
      let odd: number | undefined;
      try {
        for await (let chunk of this.rest.speech(s, t.abort.signal)) {
          if (t.abort.signal.aborted) return;
          if (odd !== undefined) chunk = Uint8Array.of(odd, ...chunk);
          odd = chunk.byteLength % 2 ? chunk[chunk.byteLength - 1] : undefined;
          const even = chunk.subarray(0, chunk.byteLength - (chunk.byteLength % 2));
          if (even.byteLength) this.events?.audio(even, t.id);
        }
      } catch (err) {
        if (t.abort.signal.aborted) return;
        // One sentence lost is a hiccup the call survives; a refused key is not.
        if (!(err instanceof ProviderError) || err.code === "unauthorized") throw err;
      }
    }
  }

  private finish(t: { id: string; abort: AbortController }, text: string): void {
    if (t.abort.signal.aborted || this.closed) return;
    if (text.trim()) {
      this.history.push({ role: "agent", text: text.trim() });
      this.events?.transcript({ role: "agent", text: text.trim(), final: true, itemId: t.id });
    }
    this.events?.responseDone(t.id);
    if (this.turn === t) this.turn = undefined;
  }

  private fail(t: { id: string; abort: AbortController }, err: unknown): void {
    if (t.abort.signal.aborted || this.closed) return;
    const e = err instanceof ProviderError ? err : new ProviderError("error", String(err));
    this.events?.ended({ code: e.code === "unauthorized" || e.code === "bad_request" ? "error" : e.code === "stalled" ? "stalled" : "error", message: e.message });
  }
}
