/**
 * Gemini Live stand-in: the BidiGenerateContent WebSocket at the path the
 * SDK requests (`//ws/google.ai.generativelanguage.v1beta.GenerativeService.
 * BidiGenerateContent?key=`: a base URL's trailing slash plus `/ws/`),
 * JSON in binary frames like the real service. `setup` first, answered with
 * `setupComplete`; `realtimeInput.audio` must name its rate in `mimeType`;
 * answers are `serverContent.modelTurn` parts of 24 kHz PCM, with
 * input/output transcriptions, `turnComplete`, `interrupted` when the caller
 * talks over the model, `toolCall` / `toolResponse`, `usageMetadata`, and
 * `sessionResumptionUpdate` handles.
 *
 * Scenarios (by key, `test-<scenario>-...`): default, `tool`, `goaway` (a
 * goAway after the first answer, then the connection is dropped; a setup
 * with the last handle resumes), `error` (closes 1011 after the first
 * utterance), `unauthorized` (the real service's 1007 close on a bad key).
 */
import type { WebSocket } from "ws";
import { base64Decode, base64Encode } from "../../shared/audio/base64.js";
import { pcm16FromBytes } from "../../shared/audio/pcm16.js";
import { EnergyVad } from "../../shared/audio/vad.js";
import { scenarioOf, startStandIn, type StandIn } from "./server.js";
import { chunks, LINES, sleep, speechBytes, type Line } from "./speech.js";

export const GEMINI_PATH = "//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
const CALLER_LINES: Line[] = ["caller-greeting", "caller-support", "caller-wants-human"];
/** Handles this stand-in issued, and how many turns each session had. */
const resumable = new Map<string, number>();

class LiveConnection {
  private vad: EnergyVad | undefined;
  private setupDone = false;
  private turn = 0;
  private speaking: { cancelled: boolean } | undefined;
  private handleN = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly scenario: string,
    private readonly log: (e: unknown) => void,
  ) {
    ws.on("message", (data) => this.onMessage(String(data)));
  }

  private send(msg: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(Buffer.from(JSON.stringify(msg)), { binary: true });
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
    if (!msg.realtimeInput) this.log(msg);
    if (msg.setup) return this.onSetup(msg.setup);
    if (!this.setupDone) return this.ws.close(1007, "Request contains an invalid argument: setup must be the first message.");
    if (msg.realtimeInput) return this.onAudio(msg.realtimeInput.audio as { data?: string; mimeType?: string } | undefined);
    if (msg.clientContent) {
      const turns = msg.clientContent.turns as { parts: { text?: string }[] }[] | undefined;
      const said = turns?.at(-1)?.parts[0]?.text ?? "";
      if (msg.clientContent.turnComplete) void this.answer(/Say exactly/.test(said) ? "agent-greeting" : "agent-transfer");
      return;
    }
    if (msg.toolResponse) void this.answer("agent-transfer");
  }

  private onSetup(setup: Record<string, unknown>): void {
    if (typeof setup.model !== "string" || !setup.model.startsWith("models/")) return this.ws.close(1007, "Request contains an invalid argument: model.");
    const handle = (setup.sessionResumption as { handle?: string } | undefined)?.handle;
    if (handle !== undefined && !resumable.has(handle)) return this.ws.close(1008, "Session not found or expired.");
    if (handle !== undefined) this.turn = resumable.get(handle) ?? 0;
    this.setupDone = true;
    this.send({ setupComplete: {} });
  }

  private onAudio(audio: { data?: string; mimeType?: string } | undefined): void {
    const rate = Number(/rate=(\d+)/.exec(audio?.mimeType ?? "")?.[1]);
    if (!audio?.data || !audio.mimeType?.startsWith("audio/pcm") || !rate) return this.ws.close(1007, "Request contains an invalid argument: audio mimeType must be audio/pcm;rate=<hz>.");
    this.vad ??= new EnergyVad(rate);
    for (const e of this.vad.push(pcm16FromBytes(base64Decode(audio.data)))) {
      if (e.type === "speech_start") {
        if (this.speaking && !this.speaking.cancelled) {
          this.speaking.cancelled = true;
          this.send({ serverContent: { interrupted: true } });
        }
      } else {
        void this.onUtterance();
      }
    }
  }

  private async onUtterance(): Promise<void> {
    const line = CALLER_LINES[this.turn % CALLER_LINES.length] as Line;
    this.send({ serverContent: { inputTranscription: { text: LINES[line] } } });
    const turn = this.turn++;
    if (this.scenario === "error") return this.ws.close(1011, "Internal error encountered.");
    if (this.scenario === "tool" && turn === 0) {
      this.send({ toolCall: { functionCalls: [{ id: `fc-${turn}`, name: "echo", args: { text: "ping" } }] } });
      return;
    }
    await this.answer("agent-transfer");
    if (this.scenario === "goaway" && turn === 0) {
      const handle = `handle-${Math.random().toString(36).slice(2)}-${++this.handleN}`;
      resumable.set(handle, this.turn);
      this.send({ sessionResumptionUpdate: { newHandle: handle, resumable: true } });
      this.send({ goAway: { timeLeft: "1s" } });
      await sleep(1000);
      this.ws.close(1000, "");
    }
  }

  /** One model turn: 24 kHz PCM in 200 ms parts, faster than real time. */
  private async answer(line: Line): Promise<void> {
    const me = { cancelled: false };
    this.speaking = me;
    for (const c of chunks(speechBytes(line, 24000), 48, 200)) {
      if (me.cancelled || this.ws.readyState !== this.ws.OPEN) return;
      this.send({ serverContent: { modelTurn: { role: "model", parts: [{ inlineData: { mimeType: "audio/pcm;rate=24000", data: base64Encode(c) } }] } } });
      await sleep(40);
    }
    this.send({ serverContent: { outputTranscription: { text: LINES[line] } } });
    this.send({ serverContent: { generationComplete: true } });
    this.send({ serverContent: { turnComplete: true } });
    this.send({ usageMetadata: { promptTokenCount: 90, responseTokenCount: 40, totalTokenCount: 130 } });
    this.speaking = undefined;
  }
}

export function startGeminiLiveStandIn(port = 0): Promise<StandIn> {
  return startStandIn(
    {
      accept(req) {
        const url = new URL(`http://x${req.url ?? "/"}`);
        if (!req.url?.startsWith(GEMINI_PATH)) return { ok: false, status: 404, body: "{}" };
        const key = url.searchParams.get("key");
        if (!key) return { ok: false, status: 403, body: JSON.stringify({ error: { code: 403, message: "Method doesn't allow unregistered callers.", status: "PERMISSION_DENIED" } }) };
        return { ok: true, key };
      },
      socket(ws, req, log) {
        const key = new URL(`http://x${req.url ?? "/"}`).searchParams.get("key");
        log({ _connected: true, path: req.url?.split("?")[0] });
        if (scenarioOf(key) === "unauthorized") {
          ws.close(1007, "API key not valid. Please pass a valid API key.");
          return;
        }
        new LiveConnection(ws, scenarioOf(key), log);
      },
    },
    port,
  );
}
