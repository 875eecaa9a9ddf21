/**
 * ElevenLabs Agents (Conversational AI) over a raw WebSocket. A private
 * agent is reached through a signed URL from the REST API (`xi-api-key`), a
 * public one by agent id. The session is shaped with
 * `conversation_initiation_client_data` overrides (prompt, first message,
 * language, voice); the audio formats are the agent's own and are read from
 * `conversation_initiation_metadata` (pcm_16000 by default, ulaw_8000, ...).
 * Every `ping` gets its `pong`, or the server drops us. `interruption` is
 * the barge-in signal: the session clears playback and audio with an
 * event id up to the interrupted one is dropped.
 */
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { ProviderError, type ProviderAudioFormat, type ProviderEvents, type SessionSetup, type ToolCall, type VoiceProvider } from "./provider.js";
import { connectJsonSocket, type JsonSocket } from "./ws-client.js";

export const ELEVENLABS_BASE_URL = "https://api.elevenlabs.io";

export interface ElevenLabsOptions {
  agentId: string;
  /** With a key, the conversation opens through a signed URL (private agents). */
  apiKey: string | null;
  baseUrl?: string;
  setup: SessionSetup;
}

type ServerMessage =
  | { type: "conversation_initiation_metadata"; conversation_initiation_metadata_event: { conversation_id: string; agent_output_audio_format: string; user_input_audio_format: string } }
  | { type: "audio"; audio_event: { audio_base_64: string; event_id: number } }
  | { type: "interruption"; interruption_event: { event_id: number } }
  | { type: "ping"; ping_event: { event_id: number; ping_ms?: number } }
  | { type: "user_transcript"; user_transcription_event: { user_transcript: string } }
  | { type: "agent_response"; agent_response_event: { agent_response: string } }
  | { type: "agent_response_correction"; agent_response_correction_event: { corrected_agent_response: string } }
  | { type: "client_tool_call"; client_tool_call: { tool_name: string; tool_call_id: string; parameters?: Record<string, unknown> } }
  | { type: "vad_score" | "internal_tentative_agent_response" | "contextual_update" };

/** "pcm_16000" -> PCM16 at 16 kHz; "ulaw_8000" -> μ-law at 8 kHz. */
export function parseElevenLabsFormat(name: string): ProviderAudioFormat {
  const m = /^(pcm|ulaw|alaw)_(\d+)$/.exec(name);
  if (!m) throw new ProviderError("bad_request", `unknown ElevenLabs audio format ${name}`);
  return { encoding: m[1] === "pcm" ? "pcm16" : m[1] === "ulaw" ? "pcmu" : "pcma", sampleRate: Number(m[2]) };
}

export class ElevenLabsAgent implements VoiceProvider {
  readonly name = "elevenlabs-agents";
  input: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 16000 };
  output: ProviderAudioFormat = { encoding: "pcm16", sampleRate: 16000 };
  readonly localBargeIn = true;
  private socket: JsonSocket | undefined;
  private events: ProviderEvents | undefined;
  private turn = 0;
  private responseId = "el-0";
  private droppedThrough = -1;
  private firstResponse: Promise<string> | undefined;
  private resolveFirst: ((id: string) => void) | undefined;
  private closing = false;
  conversationId: string | undefined;

  constructor(private readonly options: ElevenLabsOptions) {}

  async open(events: ProviderEvents): Promise<void> {
    this.events = events;
    const base = (this.options.baseUrl ?? ELEVENLABS_BASE_URL).replace(/\/+$/, "");
    const url = this.options.apiKey ? await this.signedUrl(base, this.options.apiKey) : `${base.replace(/^http/, "ws")}/v1/convai/conversation?agent_id=${encodeURIComponent(this.options.agentId)}`;
    let ready: (() => void) | undefined;
    const metadata = new Promise<void>((resolve) => (ready = resolve));
    this.socket = await connectJsonSocket(url, {}, {
      message: (m) => {
        this.onMessage(m as ServerMessage);
        if ((m as ServerMessage).type === "conversation_initiation_metadata") ready?.();
      },
      close: (code, reason) => {
        ready = undefined;
        if (!this.closing) events.ended({ code: code === 1000 ? "closed" : "error", message: `ElevenLabs closed ${code} ${reason}` });
      },
    });
    const { setup } = this.options;
    this.firstResponse = setup.greeting ? new Promise((resolve) => (this.resolveFirst = resolve)) : undefined;
    this.socket.send({
      type: "conversation_initiation_client_data",
      conversation_config_override: {
        agent: {
          prompt: { prompt: setup.instructions },
          first_message: setup.greeting ?? "",
          language: setup.language.slice(0, 2),
        },
        ...(setup.voice ? { tts: { voice_id: setup.voice } } : {}),
      },
      dynamic_variables: {},
    });
    await metadata;
  }

  sendAudio(bytes: Uint8Array): void {
    this.socket?.send({ user_audio_chunk: base64Encode(bytes) });
  }

  /** The agent speaks its first_message itself: this is the id of that first answer. */
  say(): Promise<string> {
    return this.firstResponse ?? Promise.resolve(this.responseId);
  }

  interrupt(): void {
    // The server already stopped the agent (it sent `interruption`); nothing to truncate.
  }

  toolResult(call: ToolCall, result: unknown): void {
    this.socket?.send({ type: "client_tool_result", tool_call_id: call.id, result: JSON.stringify(result), is_error: false });
  }

  respond(): void {
    this.socket?.send({ type: "user_activity" });
  }

  close(): void {
    this.closing = true;
    this.socket?.close(1000, "bye");
  }

  private async signedUrl(base: string, key: string): Promise<string> {
    const resp = await fetch(`${base}/v1/convai/conversation/get-signed-url?agent_id=${encodeURIComponent(this.options.agentId)}`, { headers: { "xi-api-key": key } });
    if (!resp.ok) throw new ProviderError(resp.status === 401 || resp.status === 403 ? "unauthorized" : "connect_failed", `signed URL: HTTP ${resp.status}`, resp.status);
    const body = (await resp.json()) as { signed_url?: string };
    if (!body.signed_url) throw new ProviderError("connect_failed", "signed URL: no signed_url in the answer");
    return body.signed_url;
  }

  private onMessage(m: ServerMessage): void {
    const events = this.events;
    if (!events) return;
    switch (m.type) {
      case "conversation_initiation_metadata": {
        const e = m.conversation_initiation_metadata_event;
        this.conversationId = e.conversation_id;
        this.input = parseElevenLabsFormat(e.user_input_audio_format);
        this.output = parseElevenLabsFormat(e.agent_output_audio_format);
        return;
      }
      case "ping":
        this.socket?.send({ type: "pong", event_id: m.ping_event.event_id });
        return;
      case "audio":
        if (m.audio_event.event_id <= this.droppedThrough) return; // older than the interruption
        this.resolveFirst?.(this.responseId);
        this.resolveFirst = undefined;
        events.audio(base64Decode(m.audio_event.audio_base_64), this.responseId);
        return;
      case "interruption":
        this.droppedThrough = m.interruption_event.event_id;
        events.callerSpeechStarted();
        events.responseDone(this.responseId);
        this.responseId = `el-${++this.turn}`;
        return;
      case "user_transcript":
        events.callerSpeechStopped();
        events.responseDone(this.responseId);
        this.responseId = `el-${++this.turn}`;
        events.transcript({ role: "caller", text: m.user_transcription_event.user_transcript, final: true, itemId: `user-${this.turn}` });
        return;
      case "agent_response":
        events.transcript({ role: "agent", text: m.agent_response_event.agent_response, final: true, itemId: this.responseId });
        return;
      case "client_tool_call":
        events.toolCall({ id: m.client_tool_call.tool_call_id, name: m.client_tool_call.tool_name, args: m.client_tool_call.parameters ?? {} });
        return;
      default:
        return;
    }
  }
}
