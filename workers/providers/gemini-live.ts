/**
 * Gemini Live through `@google/genai` (`ai.live.connect`, the web build,
 * which opens a standard WebSocket: the key travels in the query string, so
 * no header is needed). Input is PCM16 at 16 kHz with the rate in
 * `mimeType`; output is always 24 kHz. `serverContent.interrupted` is the
 * barge-in signal; Gemini has no truncate message, so an interrupted turn's
 * remaining audio is simply dropped. Before the ~10-minute connection end
 * the server sends `goAway`: we reconnect with the last resumable handle
 * from `sessionResumptionUpdate`, and the conversation carries on.
 */
import { GoogleGenAI, Modality, type LiveServerMessage, type Session } from "@google/genai/web";
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { ProviderError, type ProviderAudioFormat, type ProviderEvents, type SessionSetup, type ToolCall, type VoiceProvider } from "./provider.js";

export interface GeminiLiveOptions {
  apiKey: string;
  /** `https://generativelanguage.googleapis.com` or a stand-in's `http://127.0.0.1:port`. */
  baseUrl?: string;
  model?: string;
  setup: SessionSetup;
}

export class GeminiLive implements VoiceProvider {
  readonly name = "gemini-live";
  readonly input: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 16000 };
  readonly output: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 24000 };
  readonly localBargeIn = true;
  private session: Session | undefined;
  private events: ProviderEvents | undefined;
  private handle: string | undefined;
  private turn = 0;
  /** The model turn being received, and whether it was interrupted. */
  private current: { id: string; cancelled: boolean } | undefined;
  private sayWaiters: ((id: string) => void)[] = [];
  private callerText = "";
  private agentText = "";
  private closing = false;
  /** Connections opened (1 + resumptions). */
  connections = 0;

  constructor(private readonly options: GeminiLiveOptions) {}

  async open(events: ProviderEvents): Promise<void> {
    this.events = events;
    this.session = await this.connect();
    const history = this.options.setup.history;
    if (history.length > 0) {
      this.session.sendClientContent({ turns: history.map((t) => ({ role: t.role === "caller" ? "user" : "model", parts: [{ text: t.text }] })), turnComplete: false });
    }
  }

  sendAudio(bytes: Uint8Array): void {
    this.session?.sendRealtimeInput({ audio: { data: base64Encode(bytes), mimeType: `audio/pcm;rate=${this.input.sampleRate}` } });
  }

  say(text: string): Promise<string> {
    const id = new Promise<string>((resolve) => this.sayWaiters.push(resolve));
    this.session?.sendClientContent({ turns: [{ role: "user", parts: [{ text: `Say exactly this, word for word, and nothing else: ${text}` }] }], turnComplete: true });
    return id;
  }

  interrupt(responseId: string): void {
    // No truncate in Gemini's protocol: drop what is left of the turn.
    if (this.current?.id === responseId) this.current.cancelled = true;
  }

  toolResult(call: ToolCall, result: unknown): void {
    this.session?.sendToolResponse({ functionResponses: [{ id: call.id, name: call.name, response: { output: result } }] });
  }

  respond(): void {
    this.session?.sendClientContent({ turns: [{ role: "user", parts: [{ text: "(continue)" }] }], turnComplete: true });
  }

  close(): void {
    this.closing = true;
    this.session?.close();
  }

  private async connect(): Promise<Session> {
    const { apiKey, baseUrl, model = "gemini-live-2.5-flash-preview", setup } = this.options;
    const ai = new GoogleGenAI({ apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });
    let session: Session | undefined;
    try {
      session = await ai.live.connect({
        model,
        config: {
          responseModalities: [Modality.AUDIO],
          systemInstruction: setup.instructions,
          speechConfig: { languageCode: setup.language, ...(setup.voice ? { voiceConfig: { prebuiltVoiceConfig: { voiceName: setup.voice } } } : {}) },
          tools: setup.tools.length ? [{ functionDeclarations: setup.tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }] : [],
          inputAudioTranscription: {},
          outputAudioTranscription: {},
          sessionResumption: this.handle ? { handle: this.handle } : {},
          realtimeInputConfig: setup.vad.silenceDurationMs ? { automaticActivityDetection: { silenceDurationMs: setup.vad.silenceDurationMs, prefixPaddingMs: setup.vad.prefixPaddingMs } } : {},
        },
        callbacks: {
          onmessage: (msg: LiveServerMessage) => {
            if (session === undefined || session === this.session) this.onMessage(msg);
          },
          onclose: (e: CloseEvent) => {
            if (this.closing || (session !== undefined && session !== this.session)) return;
            this.events?.ended({ code: e.code === 1000 ? "closed" : "error", message: `Gemini closed ${e.code} ${e.reason}` });
          },
        },
      });
    } catch (err) {
      throw new ProviderError("connect_failed", `Gemini Live: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.connections++;
    return session;
  }

  /** goAway: the connection ends soon. Resume on a new one with the last handle; the old one is dropped once it is up. */
  private async resume(): Promise<void> {
    const old = this.session;
    if (!this.handle) return this.events?.ended({ code: "expired", message: "goAway without a resumable handle" });
    try {
      this.session = await this.connect();
      old?.close();
    } catch (err) {
      this.events?.ended({ code: "expired", message: `resumption failed: ${String(err)}` });
    }
  }

  private onMessage(msg: LiveServerMessage): void {
    const events = this.events;
    if (!events) return;
    if (msg.sessionResumptionUpdate?.resumable && msg.sessionResumptionUpdate.newHandle) this.handle = msg.sessionResumptionUpdate.newHandle;
    if (msg.goAway) void this.resume();
    if (msg.usageMetadata) events.usage({ inputTokens: msg.usageMetadata.promptTokenCount, outputTokens: msg.usageMetadata.responseTokenCount });
    for (const fc of msg.toolCall?.functionCalls ?? []) events.toolCall({ id: fc.id ?? "", name: fc.name ?? "", args: (fc.args ?? {}) as Record<string, unknown> });
    const sc = msg.serverContent;
    if (!sc) return;
    if (sc.interrupted) {
      if (this.current) this.current.cancelled = true;
      events.callerSpeechStarted();
    }
    if (sc.inputTranscription?.text) {
      this.callerText += sc.inputTranscription.text;
      events.transcript({ role: "caller", text: this.callerText, final: false, itemId: `in-${this.turn}` });
    }
    for (const part of sc.modelTurn?.parts ?? []) {
      const data = part.inlineData?.data;
      if (!data || !part.inlineData?.mimeType?.startsWith("audio/pcm")) continue;
      if (!this.current) this.startTurn();
      const cur = this.current as { id: string; cancelled: boolean };
      if (!cur.cancelled) events.audio(base64Decode(data), cur.id);
    }
    if (sc.outputTranscription?.text) this.agentText += sc.outputTranscription.text;
    if (sc.turnComplete || sc.interrupted) this.finishTurn(events);
  }

  private startTurn(): void {
    this.current = { id: `gemini-turn-${++this.turn}`, cancelled: false };
    // The caller's words are final once the model answers them.
    if (this.callerText) {
      this.events?.callerSpeechStopped();
      this.events?.transcript({ role: "caller", text: this.callerText, final: true, itemId: `in-${this.turn - 1}` });
      this.callerText = "";
    }
    this.sayWaiters.shift()?.(this.current.id);
  }

  private finishTurn(events: ProviderEvents): void {
    const cur = this.current;
    if (this.agentText) events.transcript({ role: "agent", text: this.agentText, final: true, itemId: cur?.id });
    this.agentText = "";
    if (cur) events.responseDone(cur.id);
    this.current = undefined;
  }
}
