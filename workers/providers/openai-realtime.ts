/**
 * OpenAI Realtime (GA) over our own thin WebSocket client: the SDK's
 * realtime client only builds wss:// URLs, and a Durable Object must set
 * `Authorization` on a fetch upgrade (ws-client.ts). Events are typed with
 * the `openai` package's GA types, so a renamed field fails to compile.
 *
 * Barge-in: the server VAD cancels the response itself
 * (`interrupt_response`); we truncate the assistant item at the audio the
 * caller actually heard (never 0, never past what was generated: the server
 * rejects both) and drop the cancelled response's late deltas.
 * Sessions end at 60 minutes without warning: before that, at a quiet
 * moment, a new session is opened and seeded with the conversation.
 */
import type {
  RealtimeClientEvent,
  RealtimeServerEvent,
  RealtimeSessionCreateRequest,
  RealtimeAudioFormats,
  RealtimeAudioInputTurnDetection,
} from "openai/resources/realtime/realtime";
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { ProviderError, type HistoryTurn, type ProviderAudioFormat, type ProviderEvents, type SessionSetup, type ToolCall, type VoiceProvider } from "./provider.js";
import { connectJsonSocket, type JsonSocket } from "./ws-client.js";

export const OPENAI_REALTIME_URL = "wss://api.openai.com/v1/realtime";
export const OPENAI_SESSION_MAX_MS = 60 * 60_000;

export interface OpenAiRealtimeOptions {
  apiKey: string;
  /** `wss://api.openai.com/v1/realtime` or a stand-in's `ws://127.0.0.1:port/v1/realtime`. */
  url?: string;
  model?: string;
  /**
   * `pcm` (24 kHz PCM16, the default) or G.711 at 8 kHz. Audio is billed by duration either way;
   * pcm keeps the band above 4 kHz and adds no second μ-law quantization, for 53 KB/s more on
   * an outgoing socket (free). Measured in shared/audio/phone-line.test.ts.
   */
  audioFormat?: "pcm" | "pcmu" | "pcma";
  transcriptionModel?: string;
  setup: SessionSetup;
  /** Injected clock (tests drive the 60-minute rollover with it). */
  now?: () => number;
  /** Roll over this long before the vendor's 60-minute limit (default 3 min). */
  rolloverMarginMs?: number;
}

interface ResponseState {
  itemId: string | undefined;
  /** Bytes of audio generated for the item (in the output format). */
  bytes: number;
  cancelled: boolean;
}

const FORMATS: Record<"pcm" | "pcmu" | "pcma", { wire: RealtimeAudioFormats; local: ProviderAudioFormat }> = {
  pcm: { wire: { type: "audio/pcm", rate: 24000 }, local: { encoding: "pcm16", sampleRate: 24000 } },
  pcmu: { wire: { type: "audio/pcmu" }, local: { encoding: "pcmu", sampleRate: 8000 } },
  pcma: { wire: { type: "audio/pcma" }, local: { encoding: "pcma", sampleRate: 8000 } },
};

export function turnDetection(vad: SessionSetup["vad"]): RealtimeAudioInputTurnDetection {
  if (vad.type === "semantic_vad") return { type: "semantic_vad", eagerness: vad.eagerness ?? "auto", create_response: true, interrupt_response: true };
  return {
    type: "server_vad",
    threshold: vad.threshold ?? 0.5,
    prefix_padding_ms: vad.prefixPaddingMs ?? 300,
    silence_duration_ms: vad.silenceDurationMs ?? 500,
    create_response: true,
    interrupt_response: true,
  };
}

/**
 * Fields we set that the server did not echo back in session.updated: GA ignores unknown (beta)
 * names silently, so a typo or a renamed field shows up here, not as an error.
 */
export function notAccepted(sent: unknown, accepted: unknown, path = "session"): string[] {
  if (sent === null || typeof sent !== "object" || Array.isArray(sent)) {
    return JSON.stringify(sent) === JSON.stringify(accepted) || (typeof sent === "number" && typeof accepted === "number") ? [] : [path];
  }
  if (accepted === null || typeof accepted !== "object") return [path];
  return Object.entries(sent as Record<string, unknown>).flatMap(([k, v]) => (["tools", "instructions", "model"].includes(k) ? [] : notAccepted(v, (accepted as Record<string, unknown>)[k], `${path}.${k}`)));
}

export class OpenAiRealtime implements VoiceProvider {
  readonly name = "openai-realtime";
  readonly input: ProviderAudioFormat;
  readonly output: ProviderAudioFormat;
  private socket: JsonSocket | undefined;
  private events: ProviderEvents | undefined;
  private readonly responses = new Map<string, ResponseState>();
  private readonly sayWaiters: ((responseId: string) => void)[] = [];
  private readonly history: HistoryTurn[];
  private readonly now: () => number;
  private sessionStartedAt = 0;
  private responding = 0;
  /** Between speech_started and speech_stopped: a rollover now would lose the caller's words. */
  private callerSpeaking = false;
  private rolling: Promise<void> | undefined;
  private closing = false;
  private requested: RealtimeSessionCreateRequest | undefined;
  /** Sessions opened so far (1 + rollovers). */
  sessions = 0;

  constructor(private readonly options: OpenAiRealtimeOptions) {
    const f = FORMATS[options.audioFormat ?? "pcm"];
    this.input = f.local;
    this.output = f.local;
    this.now = options.now ?? Date.now;
    this.history = [...options.setup.history];
  }

  async open(events: ProviderEvents): Promise<void> {
    this.events = events;
    this.socket = await this.connect(this.history);
  }

  sendAudio(bytes: Uint8Array): void {
    if (this.now() - this.sessionStartedAt > OPENAI_SESSION_MAX_MS - (this.options.rolloverMarginMs ?? 180_000) && this.responding === 0 && !this.callerSpeaking && !this.rolling) {
      this.rolling = this.rollover().finally(() => (this.rolling = undefined));
    }
    this.send({ type: "input_audio_buffer.append", audio: base64Encode(bytes) });
  }

  say(text: string): Promise<string> {
    const id = new Promise<string>((resolve) => this.sayWaiters.push(resolve));
    this.send({ type: "response.create", response: { instructions: `Say exactly this, word for word, and nothing else: ${text}` } });
    return id;
  }

  interrupt(responseId: string, playedMs: number): void {
    const r = this.responses.get(responseId);
    if (!r) return;
    r.cancelled = true; // late deltas of this response are dropped
    const generatedMs = Math.floor((r.bytes / (this.output.encoding === "pcm16" ? 2 : 1) / this.output.sampleRate) * 1000);
    if (!r.itemId || generatedMs < 1 || playedMs >= generatedMs) return; // all of it was heard: nothing to truncate
    this.send({ type: "conversation.item.truncate", item_id: r.itemId, content_index: 0, audio_end_ms: Math.max(1, Math.min(Math.round(playedMs), generatedMs)) });
  }

  toolResult(call: ToolCall, result: unknown): void {
    this.send({ type: "conversation.item.create", item: { type: "function_call_output", call_id: call.id, output: JSON.stringify(result) } });
    this.send({ type: "response.create" });
  }

  respond(): void {
    this.send({ type: "response.create" });
  }

  close(reason: string): void {
    this.closing = true;
    this.socket?.close(1000, reason.slice(0, 100));
  }

  private send(event: RealtimeClientEvent): void {
    this.socket?.send(event);
  }

  private async connect(history: readonly HistoryTurn[]): Promise<JsonSocket> {
    const { apiKey, model = "gpt-realtime", setup } = this.options;
    const url = `${this.options.url ?? OPENAI_REALTIME_URL}?model=${encodeURIComponent(model)}`;
    let ready: (() => void) | undefined;
    let fail: ((e: Error) => void) | undefined;
    const configured = new Promise<void>((res, rej) => ((ready = res), (fail = rej)));
    const socket: JsonSocket = await connectJsonSocket(url, { Authorization: `Bearer ${apiKey}` }, {
      message: (data) => {
        const ev = data as RealtimeServerEvent;
        if (ev.type === "session.updated") ready?.();
        else if (ev.type === "error" && ready) fail?.(new ProviderError("error", `${ev.error.code ?? ev.error.type}: ${ev.error.message}`));
        if (socket === this.socket || ev.type === "session.updated") this.onEvent(ev);
      },
      close: (code, reason) => {
        fail?.(new ProviderError("connect_failed", `closed before session.updated (${code} ${reason})`));
        if (socket === this.socket && !this.closing) this.events?.ended({ code: code === 1000 ? "closed" : "error", message: `socket closed ${code} ${reason}` });
      },
    });
    const format = FORMATS[this.options.audioFormat ?? "pcm"].wire;
    const session: RealtimeSessionCreateRequest = {
      type: "realtime",
      model,
      output_modalities: ["audio"],
      instructions: setup.instructions,
      audio: {
        input: {
          format,
          transcription: { model: this.options.transcriptionModel ?? "gpt-4o-mini-transcribe", language: setup.language.slice(0, 2) },
          turn_detection: turnDetection(setup.vad),
        },
        output: { format, ...(setup.voice ? { voice: setup.voice } : {}) },
      },
      tools: setup.tools.map((t) => ({ type: "function" as const, name: t.name, description: t.description, parameters: t.parameters })),
      tool_choice: "auto",
    };
    this.requested = session;
    socket.send({ type: "session.update", session } satisfies RealtimeClientEvent);
    for (const turn of history) {
      socket.send({
        type: "conversation.item.create",
        item:
          turn.role === "caller"
            ? { type: "message", role: "user", content: [{ type: "input_text", text: turn.text }] }
            : { type: "message", role: "assistant", content: [{ type: "output_text", text: turn.text }] },
      } satisfies RealtimeClientEvent);
    }
    try {
      await configured;
    } catch (err) {
      socket.close(1000, "setup failed");
      throw err;
    } finally {
      ready = fail = undefined;
    }
    this.sessionStartedAt = this.now();
    this.sessions++;
    return socket;
  }

  /** Opens the next session, seeded with the conversation so far, then switches over. */
  private async rollover(): Promise<void> {
    const old = this.socket;
    try {
      const next = await this.connect(this.history);
      this.socket = next;
      old?.close(1000, "rollover");
    } catch (err) {
      this.events?.ended({ code: "expired", message: `rollover failed: ${String(err)}` });
    }
  }

  private onEvent(ev: RealtimeServerEvent): void {
    const events = this.events;
    if (!events) return;
    switch (ev.type) {
      case "session.updated":
        events.configured?.({ notAccepted: notAccepted(this.requested, ev.session) });
        return;
      case "input_audio_buffer.speech_started":
        this.callerSpeaking = true;
        events.callerSpeechStarted();
        return;
      case "input_audio_buffer.speech_stopped":
        this.callerSpeaking = false;
        events.callerSpeechStopped();
        return;
      case "conversation.item.input_audio_transcription.delta":
        events.transcript({ role: "caller", text: ev.delta ?? "", final: false, itemId: ev.item_id });
        return;
      case "conversation.item.input_audio_transcription.completed":
        this.history.push({ role: "caller", text: ev.transcript });
        events.transcript({ role: "caller", text: ev.transcript, final: true, itemId: ev.item_id });
        return;
      case "response.created":
        this.responding++;
        if (ev.response.id) {
          this.responses.set(ev.response.id, { itemId: undefined, bytes: 0, cancelled: false });
          this.sayWaiters.shift()?.(ev.response.id);
        }
        return;
      case "response.output_audio.delta": {
        const r = this.responses.get(ev.response_id);
        if (!r || r.cancelled) return; // a cancelled response's late deltas must not play
        r.itemId ??= ev.item_id;
        const bytes = base64Decode(ev.delta);
        r.bytes += bytes.byteLength;
        events.audio(bytes, ev.response_id);
        return;
      }
      case "response.output_audio_transcript.delta":
        if (!this.responses.get(ev.response_id)?.cancelled) events.transcript({ role: "agent", text: ev.delta, final: false, itemId: ev.item_id });
        return;
      case "response.output_audio_transcript.done":
        this.history.push({ role: "agent", text: ev.transcript });
        events.transcript({ role: "agent", text: ev.transcript, final: true, itemId: ev.item_id });
        return;
      case "response.function_call_arguments.done": {
        let args: Record<string, unknown> = {};
        try {
          args = JSON.parse(ev.arguments || "{}") as Record<string, unknown>;
        } catch {
          args = { _raw: ev.arguments };
        }
        events.toolCall({ id: ev.call_id, name: ev.name, args });
        return;
      }
      case "response.done": {
        this.responding = Math.max(0, this.responding - 1);
        const u = ev.response.usage;
        if (u) events.usage({ inputTokens: u.input_tokens, outputTokens: u.output_tokens });
        if (ev.response.id) events.responseDone(ev.response.id);
        return;
      }
      case "error":
        // Errors about one event (a late truncate, a bad tool output) are survivable; the socket stays up.
        if (ev.error.type === "invalid_request_error") return;
        events.ended({ code: "error", message: `${ev.error.code ?? ev.error.type}: ${ev.error.message}` });
        return;
      default:
        return;
    }
  }
}
