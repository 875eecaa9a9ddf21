/**
 * OpenAI Realtime (GA) stand-in: `GET /v1/realtime?model=` upgraded with
 * `Authorization: Bearer`, GA event names and fields as in the `openai`
 * package's types. It hears the caller with an energy VAD (like server VAD:
 * speech_started / speech_stopped / committed), "transcribes" each
 * utterance with the next scripted line, answers with fixture speech in
 * 24 kHz PCM or 8 kHz G.711 as the session asked, cancels an answer the
 * caller talks over (and, like the real server, still lets one delta of it
 * out), and validates `conversation.item.truncate` the way the API does.
 *
 * Scenarios (by API key, `sk-test-<scenario>-...`): default, `tool` (the
 * first answer is a call of the `echo` tool), `transfer`, `message` and
 * `hostile` (the first answer calls transfer_call or take_message, the
 * hostile one with injected text in its arguments), `error` (a server_error and
 * close 1011 after the first utterance), `stall` (never answers),
 * `unauthorized` (401 at the upgrade).
 */
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { alawDecode, mulawDecode } from "../../shared/audio/g711.js";
import { pcm16FromBytes } from "../../shared/audio/pcm16.js";
import { EnergyVad } from "../../shared/audio/vad.js";
import { openAiRestHttp } from "./openai-rest.js";
import { scenarioOf, startStandIn, type StandIn } from "./server.js";
import { chunks, LINES, sleep, speechBytes, type Line } from "./speech.js";

const CALLER_LINES: Line[] = ["caller-greeting", "caller-interrupts", "caller-support", "caller-wants-human"];

/** Scenarios whose first answer is a tool call: the handoff tools as a model would call them, and a hostile one. */
const TOOL_SCENARIOS: Record<string, [string, Record<string, unknown>]> = {
  tool: ["echo", { text: "ping" }],
  transfer: ["transfer_call", { department: "suporte", reason: "problema na internet" }],
  hostile: ["transfer_call", { department: "suporte\r\nuuid_kill", extension: "200 XML default\nsystem", reason: "x" }],
  message: ["take_message", { summary: "Cliente quer retorno sobre a fatura.", callback_number: "+5511988887777" }],
};

type Format = { type: "audio/pcm"; rate: 24000 } | { type: "audio/pcmu" } | { type: "audio/pcma" };

function keyOf(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
}

class RealtimeConnection {
  private session: Record<string, unknown> = { type: "realtime", object: "realtime.session", id: `sess_${Math.random().toString(36).slice(2, 10)}` };
  private format: Format = { type: "audio/pcm", rate: 24000 };
  private vad = new EnergyVad(24000);
  private audioMs = 0;
  private turn = 0;
  private n = 0;
  private current: { id: string; itemId: string; cancelled: boolean } | undefined;
  /** Generated audio per assistant item, ms. */
  private readonly generated = new Map<string, number>();

  constructor(
    private readonly ws: WebSocket,
    private readonly scenario: string,
    private readonly log: (e: unknown) => void,
  ) {
    ws.on("message", (data) => this.onMessage(String(data)));
    this.emit({ type: "session.created", session: this.session });
  }

  private id(prefix: string): string {
    return `${prefix}_${++this.n}${Math.random().toString(36).slice(2, 8)}`;
  }

  private emit(event: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify({ event_id: this.id("event"), ...event }));
  }

  private error(code: string, message: string, param: string | null, eventId?: string): void {
    this.emit({ type: "error", error: { type: "invalid_request_error", code, message, param, event_id: eventId ?? null } });
  }

  private onMessage(text: string): void {
    const ev = JSON.parse(text) as Record<string, unknown> & { type: string };
    if (ev.type !== "input_audio_buffer.append") this.log(ev);
    switch (ev.type) {
      case "session.update":
        return this.onSessionUpdate(ev.session as Record<string, unknown>, ev.event_id as string | undefined);
      case "input_audio_buffer.append":
        return this.onAudio(String(ev.audio));
      case "response.create": {
        const instructions = (ev.response as { instructions?: string } | undefined)?.instructions ?? "";
        if (/Say exactly/.test(instructions)) void this.respond("agent-greeting");
        else void this.respond("agent-transfer");
        return;
      }
      case "conversation.item.truncate":
        return this.onTruncate(ev);
      case "response.cancel":
        if (this.current) this.current.cancelled = true;
        return;
      default:
        return;
    }
  }

  private onSessionUpdate(s: Record<string, unknown>, eventId?: string): void {
    if (s.type !== "realtime") return this.error("missing_required_parameter", "Missing required parameter: 'session.type'.", "session.type", eventId);
    const audio = s.audio as { input?: { format?: Format; turn_detection?: { silence_duration_ms?: number } } } | undefined;
    const format = audio?.input?.format;
    if (format) this.format = format.type === "audio/pcm" ? { type: "audio/pcm", rate: 24000 } : format;
    const rate = this.format.type === "audio/pcm" ? 24000 : 8000;
    this.vad = new EnergyVad(rate, { silenceMs: audio?.input?.turn_detection?.silence_duration_ms ?? 500 });
    this.session = { ...this.session, ...s };
    this.emit({ type: "session.updated", session: this.session });
  }

  private onAudio(b64: string): void {
    const bytes = base64Decode(b64);
    const pcm = this.format.type === "audio/pcmu" ? mulawDecode(bytes) : this.format.type === "audio/pcma" ? alawDecode(bytes) : pcm16FromBytes(bytes);
    const rate = this.format.type === "audio/pcm" ? 24000 : 8000;
    this.audioMs += (pcm.length * 1000) / rate;
    for (const e of this.vad.push(pcm)) {
      if (e.type === "speech_start") this.onSpeechStarted(e.atMs);
      else void this.onSpeechStopped(e.atMs);
    }
  }

  private onSpeechStarted(atMs: number): void {
    this.emit({ type: "input_audio_buffer.speech_started", audio_start_ms: Math.round(atMs), item_id: this.id("item") });
    const r = this.current;
    if (r && !r.cancelled) {
      r.cancelled = true;
      // Already in flight when the server cancelled: a well-behaved client drops it.
      this.emit({ type: "response.output_audio.delta", response_id: r.id, item_id: r.itemId, output_index: 0, content_index: 0, delta: base64Encode(new Uint8Array(960)) });
      this.emit({ type: "response.done", response: { id: r.id, object: "realtime.response", status: "cancelled", status_details: { type: "cancelled", reason: "turn_detected" }, output: [] } });
    }
  }

  private async onSpeechStopped(atMs: number): Promise<void> {
    const itemId = this.id("item");
    this.emit({ type: "input_audio_buffer.speech_stopped", audio_end_ms: Math.round(atMs), item_id: itemId });
    this.emit({ type: "input_audio_buffer.committed", item_id: itemId, previous_item_id: null });
    const line = CALLER_LINES[this.turn % CALLER_LINES.length] as Line;
    const transcript = LINES[line];
    this.emit({ type: "conversation.item.input_audio_transcription.delta", item_id: itemId, content_index: 0, delta: transcript.slice(0, 12) });
    this.emit({ type: "conversation.item.input_audio_transcription.completed", item_id: itemId, content_index: 0, transcript, usage: { type: "duration", seconds: 2 } });
    const turn = this.turn++;
    if (this.scenario === "stall") return;
    if (this.scenario === "error") {
      this.emit({ type: "error", error: { type: "server_error", code: null, message: "The server had an error while processing your request.", param: null, event_id: null } });
      this.ws.close(1011, "server_error");
      return;
    }
    const scripted = TOOL_SCENARIOS[this.scenario];
    if (scripted && turn === 0) return this.callTool(...scripted);
    await this.respond("agent-transfer");
  }

  private callTool(name: string, toolArgs: Record<string, unknown>): void {
    const id = this.id("resp");
    const callId = this.id("call");
    const args = JSON.stringify(toolArgs);
    this.emit({ type: "response.created", response: { id, object: "realtime.response", status: "in_progress", output: [] } });
    this.emit({ type: "response.output_item.added", response_id: id, output_index: 0, item: { id: this.id("item"), type: "function_call", call_id: callId, name, arguments: "" } });
    this.emit({ type: "response.function_call_arguments.delta", response_id: id, item_id: "", output_index: 0, call_id: callId, delta: args });
    this.emit({ type: "response.function_call_arguments.done", response_id: id, item_id: "", output_index: 0, call_id: callId, name, arguments: args });
    this.emit({ type: "response.done", response: { id, object: "realtime.response", status: "completed", output: [], usage: { total_tokens: 30, input_tokens: 20, output_tokens: 10 } } });
  }

  /** Streams one answer: ~4x faster than real time, in 100 ms deltas, as the API does. */
  private async respond(line: Line): Promise<void> {
    const id = this.id("resp");
    const itemId = this.id("item");
    const r = { id, itemId, cancelled: false };
    this.current = r;
    const pcm = this.format.type === "audio/pcm";
    const bytes = speechBytes(line, pcm ? 24000 : 8000, pcm ? "pcm16" : this.format.type === "audio/pcmu" ? "pcmu" : "pcma");
    const bytesPerMs = pcm ? 48 : 8;
    this.emit({ type: "response.created", response: { id, object: "realtime.response", status: "in_progress", output: [] } });
    this.emit({ type: "response.output_item.added", response_id: id, output_index: 0, item: { id: itemId, type: "message", role: "assistant", content: [] } });
    this.emit({ type: "response.content_part.added", response_id: id, item_id: itemId, output_index: 0, content_index: 0, part: { type: "audio", transcript: "" } });
    this.generated.set(itemId, 0);
    for (const c of chunks(bytes, bytesPerMs, 100)) {
      if (r.cancelled || this.ws.readyState !== this.ws.OPEN) return;
      this.emit({ type: "response.output_audio.delta", response_id: id, item_id: itemId, output_index: 0, content_index: 0, delta: base64Encode(c) });
      this.generated.set(itemId, (this.generated.get(itemId) ?? 0) + c.byteLength / bytesPerMs);
      await sleep(25);
    }
    if (r.cancelled) return;
    const transcript = LINES[line];
    this.emit({ type: "response.output_audio_transcript.delta", response_id: id, item_id: itemId, output_index: 0, content_index: 0, delta: transcript });
    this.emit({ type: "response.output_audio.done", response_id: id, item_id: itemId, output_index: 0, content_index: 0 });
    this.emit({ type: "response.output_audio_transcript.done", response_id: id, item_id: itemId, output_index: 0, content_index: 0, transcript });
    this.emit({ type: "response.output_item.done", response_id: id, output_index: 0, item: { id: itemId, type: "message", role: "assistant", status: "completed" } });
    this.emit({ type: "response.done", response: { id, object: "realtime.response", status: "completed", output: [{ id: itemId, type: "message" }], usage: { total_tokens: 120, input_tokens: 80, output_tokens: 40 } } });
    this.current = undefined;
  }

  private onTruncate(ev: Record<string, unknown>): void {
    const itemId = String(ev.item_id);
    const end = Number(ev.audio_end_ms);
    const generated = this.generated.get(itemId);
    if (generated === undefined) return this.error("item_not_found", `Item with item_id '${itemId}' not found.`, "item_id", ev.event_id as string);
    if (!Number.isInteger(end) || end <= 0) return this.error("invalid_value", "Invalid 'audio_end_ms': must be greater than 0.", "audio_end_ms", ev.event_id as string);
    if (end > generated) return this.error("invalid_value", `Audio content of ${Math.floor(generated)}ms is already shorter than ${end}ms`, "audio_end_ms", ev.event_id as string);
    this.emit({ type: "conversation.item.truncated", item_id: itemId, content_index: 0, audio_end_ms: end });
  }
}

/**
 * The lines the adapter asked the model to say word for word (`say`: a
 * greeting, a handoff line), in order, from the stand-in's log of `key`.
 */
export function linesAskedFor(standIn: StandIn, key = "sk-local-stand-in"): string[] {
  return (standIn.log(key) as { type: string; response?: { instructions?: string } }[])
    .map((e) => (e.type === "response.create" ? /^Say exactly this, word for word, and nothing else: (.*)$/s.exec(e.response?.instructions ?? "")?.[1] : undefined))
    .filter((l): l is string => l !== undefined);
}

/**
 * Starts the OpenAI stand-in on `port` (0: any): Realtime at `ws://127.0.0.1:<port>/v1/realtime`
 * and the REST endpoints of openai-rest.ts under `http://127.0.0.1:<port>/v1`.
 */
export function startOpenAiRealtimeStandIn(port = 0): Promise<StandIn> {
  return startStandIn(
    {
      http: openAiRestHttp,
      accept(req) {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname !== "/v1/realtime") return { ok: false, status: 404, body: "{}" };
        const key = keyOf(req);
        if (!key || scenarioOf(key) === "unauthorized") {
          return { ok: false, status: 401, body: JSON.stringify({ error: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided.", param: null } }) };
        }
        if (!url.searchParams.get("model")) return { ok: false, status: 400, body: JSON.stringify({ error: { type: "invalid_request_error", code: "missing_model", message: "Missing model", param: "model" } }) };
        return { ok: true, key };
      },
      socket(ws, req, log) {
        log({ type: "_connected", model: new URL(req.url ?? "/", "http://x").searchParams.get("model") });
        new RealtimeConnection(ws, scenarioOf(keyOf(req)), log);
      },
    },
    port,
  );
}
