/**
 * ElevenLabs Agents (ConvAI) stand-in: `GET /v1/convai/conversation/
 * get-signed-url?agent_id=` with `xi-api-key`, and the conversation
 * WebSocket at `/v1/convai/conversation` (agent_id for public agents, the
 * signed URL's `conversation_signature` for private ones). It waits for
 * `conversation_initiation_client_data`, announces its audio formats in
 * `conversation_initiation_metadata`, speaks the first_message, pings every
 * second (and hangs up on a client that misses two pongs), hears the
 * caller (`user_audio_chunk`) with a VAD, answers with `user_transcript`,
 * `agent_response` and `audio` events, interrupts itself with
 * `interruption` when talked over, and calls client tools.
 *
 * Scenarios (agent id or key `test-<scenario>-...`): default (pcm_16000),
 * `ulaw` (ulaw_8000 both ways), `tool`, `error` (closes 1011 after the
 * first utterance), `unauthorized` (401 on the signed URL).
 */
import type { WebSocket } from "ws";
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { mulawDecode } from "../../shared/audio/g711.js";
import { pcm16FromBytes } from "../../shared/audio/pcm16.js";
import { EnergyVad } from "../../shared/audio/vad.js";
import { scenarioOf, sendJson, startStandIn, type StandIn } from "./server.js";
import { chunks, LINES, sleep, speechBytes, type Line } from "./speech.js";

const CALLER_LINES: Line[] = ["caller-greeting", "caller-support", "caller-wants-human"];

class Conversation {
  private started = false;
  private eventId = 0;
  private turn = 0;
  private vad: EnergyVad;
  private speaking: { cancelled: boolean } | undefined;
  private missedPongs = 0;
  private readonly pinger: NodeJS.Timeout;
  private readonly ulaw: boolean;

  constructor(
    private readonly ws: WebSocket,
    private readonly scenario: string,
    private readonly log: (e: unknown) => void,
  ) {
    this.ulaw = scenario === "ulaw";
    this.vad = new EnergyVad(this.ulaw ? 8000 : 16000);
    ws.on("message", (d) => this.onMessage(String(d)));
    this.pinger = setInterval(() => this.ping(), 1000);
    ws.on("close", () => clearInterval(this.pinger));
  }

  private send(m: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(m));
  }

  private ping(): void {
    if (++this.missedPongs > 2) return this.ws.close(1008, "ping timeout");
    this.send({ type: "ping", ping_event: { event_id: ++this.eventId, ping_ms: 20 } });
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as Record<string, unknown>;
    if (!("user_audio_chunk" in m)) this.log(m);
    if (m.type === "pong") return void (this.missedPongs = 0);
    if (m.type === "conversation_initiation_client_data") return void this.onInit(m);
    if (typeof m.user_audio_chunk === "string") return this.onAudio(m.user_audio_chunk);
    if (m.type === "client_tool_result") void this.answer("agent-transfer");
  }

  private async onInit(m: Record<string, unknown>): Promise<void> {
    if (this.started) return;
    this.started = true;
    const fmt = this.ulaw ? "ulaw_8000" : "pcm_16000";
    this.send({ type: "conversation_initiation_metadata", conversation_initiation_metadata_event: { conversation_id: `conv_${Math.random().toString(36).slice(2)}`, agent_output_audio_format: fmt, user_input_audio_format: fmt } });
    const agent = (m.conversation_config_override as { agent?: { first_message?: string } } | undefined)?.agent;
    if (agent?.first_message) await this.answer("agent-greeting");
  }

  private onAudio(b64: string): void {
    const bytes = base64Decode(b64);
    for (const e of this.vad.push(this.ulaw ? mulawDecode(bytes) : pcm16FromBytes(bytes))) {
      if (e.type === "speech_start") {
        if (this.speaking && !this.speaking.cancelled) {
          this.speaking.cancelled = true;
          this.send({ type: "interruption", interruption_event: { event_id: this.eventId } });
        }
      } else {
        void this.onUtterance();
      }
    }
  }

  private async onUtterance(): Promise<void> {
    const line = CALLER_LINES[this.turn % CALLER_LINES.length] as Line;
    this.send({ type: "user_transcript", user_transcription_event: { user_transcript: LINES[line] } });
    const turn = this.turn++;
    if (this.scenario === "error") return this.ws.close(1011, "internal error");
    if (this.scenario === "tool" && turn === 0) {
      this.send({ type: "client_tool_call", client_tool_call: { tool_name: "echo", tool_call_id: `tool_${turn}`, parameters: { text: "ping" }, expects_response: true } });
      return;
    }
    await this.answer("agent-transfer");
  }

  private async answer(line: Line): Promise<void> {
    const me = { cancelled: false };
    this.speaking = me;
    this.send({ type: "agent_response", agent_response_event: { agent_response: LINES[line] } });
    const bytes = speechBytes(line, this.ulaw ? 8000 : 16000, this.ulaw ? "pcmu" : "pcm16");
    for (const c of chunks(bytes, this.ulaw ? 8 : 32, 250)) {
      if (me.cancelled || this.ws.readyState !== this.ws.OPEN) return;
      this.send({ type: "audio", audio_event: { audio_base_64: base64Encode(c), event_id: ++this.eventId } });
      await sleep(60);
    }
    this.speaking = undefined;
  }
}

export function startElevenLabsStandIn(port = 0): Promise<StandIn> {
  let server: StandIn | undefined;
  return startStandIn(
    {
      http(req, res, _body, log) {
        const url = new URL(req.url ?? "/", "http://x");
        if (req.method !== "GET" || url.pathname !== "/v1/convai/conversation/get-signed-url") return false;
        const key = req.headers["xi-api-key"];
        const agentId = url.searchParams.get("agent_id");
        if (typeof key !== "string" || scenarioOf(key) === "unauthorized") {
          sendJson(res, 401, { detail: { status: "invalid_api_key", message: "Invalid API key" } });
          return true;
        }
        if (!agentId) {
          sendJson(res, 422, { detail: [{ loc: ["query", "agent_id"], msg: "field required", type: "value_error.missing" }] });
          return true;
        }
        log(key, { signedUrlFor: agentId });
        const sig = `${scenarioOf(key)}-${encodeURIComponent(key)}`;
        sendJson(res, 200, { signed_url: `ws://127.0.0.1:${server?.port ?? 0}/v1/convai/conversation?agent_id=${encodeURIComponent(agentId)}&conversation_signature=${sig}` });
        return true;
      },
      accept(req) {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname !== "/v1/convai/conversation") return { ok: false, status: 404, body: "{}" };
        const sig = url.searchParams.get("conversation_signature");
        const agentId = url.searchParams.get("agent_id");
        if (!agentId) return { ok: false, status: 422, body: JSON.stringify({ detail: "agent_id is required" }) };
        // Logged under the key that asked for the signed URL, or the public agent's id.
        return { ok: true, key: sig ? decodeURIComponent(sig.slice(sig.indexOf("-") + 1)) : agentId };
      },
      socket(ws, req, log) {
        const url = new URL(req.url ?? "/", "http://x");
        const sig = url.searchParams.get("conversation_signature");
        log({ _connected: true, signed: sig !== null });
        new Conversation(ws, sig ? sig.slice(0, sig.indexOf("-")) : scenarioOf(url.searchParams.get("agent_id")), log);
      },
    },
    port,
  ).then((s) => (server = s));
}
