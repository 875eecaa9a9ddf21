/**
 * One interface for every AI provider a CallSession can talk to: realtime
 * speech-to-speech sessions (OpenAI Realtime, Gemini Live, ElevenLabs
 * Agents) and the turn-based STT -> LLM -> TTS pipeline. One vendor per file
 * behind it, so adding a provider is adding a file (STYLE.md).
 *
 * Audio crosses this interface in the provider's own format (declared in
 * `input`/`output`); the session converts from and to the call's format in
 * one place per direction.
 */

export type ProviderEncoding = "pcm16" | "pcmu" | "pcma";

export interface ProviderAudioFormat {
  encoding: ProviderEncoding;
  /** 8/16/24 kHz for most; ElevenLabs agents may be set to 22.05 or 44.1 kHz. */
  sampleRate: number;
}

/** A tool the model may call (JSON Schema parameters, as every vendor takes them). */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface Transcript {
  role: "caller" | "agent";
  text: string;
  /** Partial transcripts are replaced by the final one of the same `itemId`. */
  final: boolean;
  itemId?: string;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  inputAudioMs?: number;
  outputAudioMs?: number;
}

/** Why a provider session ended. `fatal` false: the call survives (reconnect/failover); the session decides. */
export interface ProviderEnd {
  code: "closed" | "error" | "connect_failed" | "stalled" | "expired";
  message: string;
}

/** What a provider tells the session. Calls happen in the order the vendor sent them. */
export interface ProviderEvents {
  /** Agent audio in the provider's output format. `responseId` groups one answer. */
  audio(bytes: Uint8Array, responseId: string): void;
  /** The caller started speaking (the provider's VAD): the session clears playback and then calls `interrupt`. */
  callerSpeechStarted(): void;
  /** The caller stopped speaking: the turn's latency clock starts. */
  callerSpeechStopped(): void;
  transcript(t: Transcript): void;
  toolCall(call: ToolCall): void;
  usage(u: Usage): void;
  /** The answer `responseId` is complete (all its audio was delivered). */
  responseDone(responseId: string): void;
  /** The session ended without `close()` being called. */
  ended(end: ProviderEnd): void;
  /** Diagnostic: what the vendor accepted of the configuration (e.g. OpenAI's session.updated). */
  configured?(accepted: Record<string, unknown>): void;
}

/** Conversation so far, to seed a new session (rollover, failover). */
export interface HistoryTurn {
  role: "caller" | "agent";
  text: string;
}

export interface SessionSetup {
  instructions: string;
  voice: string | null;
  language: string;
  tools: ToolSpec[];
  /** Turn detection, as the secretary configures it (OpenAI names; adapters map). */
  vad: { type?: "server_vad" | "semantic_vad" | "local"; threshold?: number; prefixPaddingMs?: number; silenceDurationMs?: number; eagerness?: "low" | "medium" | "high" | "auto" };
  history: HistoryTurn[];
  /**
   * The greeting, for vendors that speak the first message themselves (ElevenLabs'
   * first_message); absent when it was already played (from the cache).
   */
  greeting?: string;
}

export interface VoiceProvider {
  /** For the call record: "openai-realtime", "gemini-live", ... */
  readonly name: string;
  /** May change once `open` resolves (ElevenLabs announces its formats then). */
  readonly input: ProviderAudioFormat;
  readonly output: ProviderAudioFormat;
  /**
   * The vendor signals barge-in only while it is generating (Gemini's `interrupted`,
   * ElevenLabs' `interruption`), not while its finished answer is still playing at the relay:
   * the session then listens for the caller itself.
   */
  readonly localBargeIn?: boolean;
  /** Resolves when the session is ready for audio; rejects when it cannot be opened. */
  open(events: ProviderEvents): Promise<void>;
  /** Caller audio, in `input` format. */
  sendAudio(bytes: Uint8Array): void;
  /**
   * Say `text` now, as the agent (the greeting). Resolves with the response's id;
   * its audio arrives through `events.audio` like any answer.
   */
  say(text: string): Promise<string>;
  /** The caller spoke over the agent; `playedMs` of response `responseId` was actually heard. */
  interrupt(responseId: string, playedMs: number): void;
  toolResult(call: ToolCall, result: unknown): void;
  /** Answer the conversation so far now (after a failover seeded it mid-turn). */
  respond(): void;
  close(reason: string): void;
}

/** Thrown by `open` and the REST helpers: a stable code and whether trying another provider makes sense. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly code: ProviderEnd["code"] | "bad_request" | "unauthorized",
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
