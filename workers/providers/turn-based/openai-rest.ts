/**
 * The three OpenAI REST calls of the turn-based pipeline, through the
 * `openai` SDK (it runs in Workers): transcription of a WAV-wrapped
 * utterance, chat completions streamed with tools, and speech as raw
 * 24 kHz PCM16 (`response_format: "pcm"`, no header) streamed as it comes.
 * Errors become ProviderError with the HTTP status, so the session can tell
 * a bad key from an outage.
 */
import OpenAI, { toFile } from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { pcm16ToBytes } from "../../../shared/audio/pcm16.js";
import { encodeWav } from "../../../shared/audio/wav.js";
import { ProviderError, type ToolSpec } from "../provider.js";

export interface OpenAiRestOptions {
  apiKey: string;
  baseUrl: string;
  sttModel?: string;
  llmModel?: string;
  ttsModel?: string;
  voice?: string | null;
  language: string;
}

export function asProviderError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    return new ProviderError(status === 401 || status === 403 ? "unauthorized" : "error", `${what}: HTTP ${status ?? "?"} ${err.message}`, status);
  }
  return new ProviderError("error", `${what}: ${err instanceof Error ? err.message : String(err)}`);
}

export class OpenAiRest {
  private readonly client: OpenAI;

  constructor(private readonly o: OpenAiRestOptions) {
    // Workers' fetch must be called unbound from the global (the SDK would call it as a method).
    this.client = new OpenAI({ apiKey: o.apiKey, baseURL: o.baseUrl, maxRetries: 1, timeout: 15_000, fetch: (input, init) => fetch(input, init) });
  }

  async transcribe(samples: Int16Array, sampleRate: number, signal?: AbortSignal): Promise<string> {
    try {
      const wav = encodeWav({ sampleRate, channels: 1, data: pcm16ToBytes(samples) });
      const file = await toFile(wav, "utterance.wav", { type: "audio/wav" });
      const r = await this.client.audio.transcriptions.create({ file, model: this.o.sttModel ?? "gpt-4o-mini-transcribe", language: this.o.language.slice(0, 2) }, { signal });
      return r.text;
    } catch (err) {
      throw asProviderError(err, "transcription");
    }
  }

  /** Streams the answer: text deltas and, at the end, any tool calls. */
  async *chat(messages: ChatCompletionMessageParam[], tools: ToolSpec[], signal?: AbortSignal): AsyncGenerator<{ text?: string; toolCalls?: { id: string; name: string; arguments: string }[]; usage?: ChatCompletionChunk["usage"] }> {
    let stream: AsyncIterable<ChatCompletionChunk>;
    try {
      const toolDefs: ChatCompletionTool[] = tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
      stream = await this.client.chat.completions.create(
        { model: this.o.llmModel ?? "gpt-4o-mini", messages, stream: true, stream_options: { include_usage: true }, ...(toolDefs.length ? { tools: toolDefs } : {}) },
        { signal },
      );
    } catch (err) {
      throw asProviderError(err, "chat");
    }
    const calls: { id: string; name: string; arguments: string }[] = [];
    try {
      for await (const chunk of stream) {
        if (chunk.usage) yield { usage: chunk.usage };
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.content) yield { text: choice.delta.content };
        for (const tc of choice.delta.tool_calls ?? []) {
          const c = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
          if (tc.id) c.id = tc.id;
          if (tc.function?.name) c.name += tc.function.name;
          if (tc.function?.arguments) c.arguments += tc.function.arguments;
        }
      }
    } catch (err) {
      throw asProviderError(err, "chat stream");
    }
    if (calls.length) yield { toolCalls: calls.filter((c) => c.name) };
  }

  /** 24 kHz PCM16 of `text`, chunk by chunk as the server sends it. */
  async *speech(text: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    let resp: Response;
    try {
      resp = await this.client.audio.speech.create({ model: this.o.ttsModel ?? "gpt-4o-mini-tts", voice: this.o.voice ?? "marin", input: text, response_format: "pcm" }, { signal });
    } catch (err) {
      throw asProviderError(err, "speech");
    }
    const reader = resp.body?.getReader();
    if (!reader) return;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value?.byteLength) yield value;
    }
  }
}
