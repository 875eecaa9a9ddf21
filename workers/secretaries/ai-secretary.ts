/**
 * The AI secretary of one call: caller audio to the provider, agent audio
 * back to the relay, barge-in, transcripts, tools, the greeting (from the
 * cache when it is there), and failover. Vendor details stay in the
 * provider adapters; this file only sees the VoiceProvider interface.
 *
 * Failure is never dead air: a provider that cannot open, ends, errors or
 * stays silent past `stallTimeoutMs` after the caller spoke is replaced by
 * the next candidate (the secretary's fallback, or the turn-based
 * pipeline), seeded with the conversation so far. With none left the call
 * ends with a clear cause (the handoff issue adds transfer and message).
 */
import { EnergyVad } from "../../shared/audio/vad.js";
import { concatBytes, type ControlInput } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import type { SessionControl, UpFrame } from "../downlink.js";
import type { AgentVoice, HandoffObserver } from "../handoff/session-handoff.js";
import { greetingKey, type GreetingStore } from "../greeting-cache.js";
import { log } from "../log.js";
import { markUnhealthy, type Candidate } from "../providers/factory.js";
import { ProviderError, type HistoryTurn, type ProviderEvents, type Transcript, type VoiceProvider } from "../providers/provider.js";
import type { ToolRegistry } from "../providers/tools.js";
import { AgentPlayback, type CallAudioFormat } from "./agent-playback.js";
import { CallerInput } from "./caller-input.js";
import { PendingTruncation, type BargeInReport } from "./barge-in.js";
import type { CallRecord } from "./call-record.js";
import type { Secretary, SecretaryOutput } from "./secretary.js";

export interface AiSecretaryDeps {
  callId: string;
  call: CallAudioFormat;
  plan: AiPlan;
  candidates: Candidate[];
  tools: ToolRegistry;
  greetings?: GreetingStore;
  record: CallRecord;
  /** The call's handoff (workers/handoff): told what happens on the call, may take it over. */
  handoff?: HandoffObserver;
  /** Output that cannot wait for the next upstream call (barge-in clears, audio while the caller is silent). */
  push(out: SecretaryOutput): void;
  now(): number;
  openTimeoutMs?: number;
  stallTimeoutMs?: number;
  /** How long to wait for the relay's playedMs before truncating by our own accounting. */
  truncateWaitMs?: number;
  pumpMs?: number;
}

export class AiSecretary implements Secretary, AgentVoice {
  private provider: VoiceProvider | undefined;
  private label = "";
  private ready = false;
  private next = 0;
  private readonly input: CallerInput;
  private readonly vad: EnergyVad;
  private readonly playback: AgentPlayback;
  private readonly history: HistoryTurn[] = [];
  private waitingSince: number | undefined;
  private callerStoppedAt: number | undefined;
  private readonly truncation: PendingTruncation;
  private readonly interrupted = new Set<string>();
  private pump: ReturnType<typeof setInterval> | undefined;
  private lastReturnAt = 0;
  private ended = false;
  /** False while a transfer rings and once a handoff took the call: the provider does not hear the caller, and nobody barges in. */
  private listening = true;
  private startedAt = 0;
  private greeting: { key: string; text: string; responseId?: string; chunks: Uint8Array[]; said: boolean } | undefined;
  /** Output pushed through the hub rather than returned on an upstream call. */
  pushes = 0;
  /** Latest partial transcript per item, replaced by the final one. */
  readonly partials = new Map<string, Transcript>();

  constructor(private readonly d: AiSecretaryDeps) {
    this.playback = new AgentPlayback(d.call);
    this.input = new CallerInput(d.call.sampleRate);
    this.vad = new EnergyVad(d.call.sampleRate);
    this.truncation = new PendingTruncation(d.truncateWaitMs ?? 300, (id, ms) => this.playback.playedOf(id, ms), (r) => {
      log("info", "barge_in", { callId: d.callId, provider: this.label, playedMs: r.playedMs, source: r.source });
      this.provider?.interrupt(r.responseId, r.playedMs);
    });
    this.playback.onFirstChunk = (id, at) => this.onFirstChunk(id, at);
  }

  get providerLabel(): string {
    return this.label;
  }

  get bargeIns(): BargeInReport[] {
    return this.truncation.reports;
  }

  /** Starts the call: the cached greeting (if any) is in the returned output; the provider opens in the background. */
  async begin(): Promise<SecretaryOutput> {
    this.startedAt = this.d.now();
    const text = this.d.plan.greeting;
    const first = this.d.candidates[0];
    if (text && first) {
      const key = greetingKey({ secretaryId: this.d.plan.secretaryId, provider: first.label, voice: this.d.plan.voice, text });
      const cached = await this.d.greetings?.get(key).catch(() => null);
      this.greeting = { key, text, chunks: [], said: cached != null };
      if (cached) {
        this.playback.push(cached.format, cached.audio, "greeting");
        this.history.push({ role: "agent", text });
        this.d.record.transcript({ role: "agent", text, final: true }, this.startedAt, "greeting-cache");
      }
    }
    const provider = this.makeNext();
    if (!provider) return this.giveUp("no provider configured");
    void this.connect(provider);
    this.pump = setInterval(() => this.onPump(), this.d.pumpMs ?? 40);
    return this.take(this.d.now());
  }

  audio(frames: readonly UpFrame[], nowMs: number): SecretaryOutput {
    this.lastReturnAt = nowMs;
    if (this.provider && this.listening) {
      const samples = this.input.push(frames, this.provider, this.ready);
      // Our own ears, for vendors that only signal barge-in while generating.
      if (this.provider.localBargeIn && samples.length > 0) {
        const started = this.vad.push(samples).some((e) => e.type === "speech_start");
        if (started && this.playback.speaking(nowMs)) this.startBargeIn();
      }
    }
    this.checkStall(nowMs);
    return this.take(nowMs);
  }

  control(message: SessionControl, nowMs: number): SecretaryOutput {
    if (this.d.handoff?.control(message)) return this.take(nowMs);
    if (message.type === "playback.event" && message.event === "cleared") this.truncation.relayCleared(message.playedMs);
    return this.take(nowMs);
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pump !== undefined) clearInterval(this.pump);
    this.truncation.cancel();
    this.d.handoff?.end();
    this.provider?.close(reason);
    if (this.d.record.facts().outcome === null) this.d.record.outcome("completed");
  }

  /** Out-of-band output, counted: each push is one request to the hub (PLATFORM.md's per-object budget). */
  private push(out: SecretaryOutput): void {
    this.pushes++;
    this.d.push(out);
  }

  /** The agent says `text` (a handoff line); rejects when no provider is ready to say it. */
  async say(text: string): Promise<void> {
    const provider = this.provider;
    if (!provider || !this.ready || this.ended) throw new Error("no provider to speak");
    await provider.say(text);
  }

  stopListening(): void {
    this.listening = false;
  }

  resumeListening(): void {
    if (!this.ended) this.listening = true;
  }

  sendControls(controls: ControlInput[]): void {
    if (!this.ended) this.push({ audio: [], controls });
  }

  private take(nowMs: number): SecretaryOutput {
    const audio = this.playback.take(nowMs);
    // A line's mark must follow its audio (controls go before frames): only once nothing is left to send.
    const controls = this.d.handoff?.controlsDue(audio.length === 0 && this.playback.queuedMs === 0) ?? [];
    return { audio, controls };
  }

  private onPump(): void {
    if (this.ended) return;
    const now = this.d.now();
    this.checkStall(now);
    // Upstream calls carry output back for free; push only when none came lately.
    if (now - this.lastReturnAt < (this.d.pumpMs ?? 40)) return;
    const out = this.take(now);
    if (out.audio.length > 0 || out.controls.length > 0) this.push(out);
  }

  private makeNext(): VoiceProvider | undefined {
    while (this.next < this.d.candidates.length) {
      const c = this.d.candidates[this.next++] as Candidate;
      try {
        const { instructions, voice, language, vad } = this.d.plan;
        const greeting = this.greeting && !this.greeting.said ? { greeting: this.greeting.text } : {};
        const provider = c.make({ instructions, voice, language, vad, tools: this.d.tools.specs(), history: [...this.history], ...greeting });
        this.provider = provider;
        this.label = c.label;
        this.ready = false;
        this.input.switchTo(provider);
        this.d.record.providerUsed(c.label);
        return provider;
      } catch (err) {
        log("warn", "provider_unusable", { callId: this.d.callId, provider: c.label, error: String(err) });
      }
    }
    return undefined;
  }

  private async connect(provider: VoiceProvider): Promise<void> {
    const timeoutMs = this.d.openTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ProviderError("stalled", `not ready after ${timeoutMs} ms`)), timeoutMs)));
      await Promise.race([provider.open(this.eventsFor(provider)), timeout]);
    } catch (err) {
      return this.fail(provider, err);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (this.provider !== provider || this.ended) return provider.close("superseded");
    this.ready = true;
    this.input.flush(provider);
    const g = this.greeting;
    if (g && !g.said) {
      g.said = true;
      g.responseId = await provider.say(g.text);
    } else if (this.waitingSince !== undefined) {
      provider.respond(); // failed over mid-turn: answer what the caller said
    }
  }

  private eventsFor(provider: VoiceProvider): ProviderEvents {
    const live = () => this.provider === provider && !this.ended;
    return {
      audio: (bytes, responseId) => {
        // A response the caller talked over may still be streaming until the provider cancels it.
        if (!live() || this.interrupted.has(responseId)) return;
        const g = this.greeting;
        if (g && responseId === g.responseId) g.chunks.push(bytes);
        this.waitingSince = undefined;
        this.playback.push(provider.output, bytes, responseId);
        this.d.handoff?.agentAudio(responseId);
      },
      callerSpeechStarted: () => {
        if (live() && this.listening && this.playback.speaking(this.d.now())) this.startBargeIn();
      },
      callerSpeechStopped: () => {
        if (!live()) return;
        this.callerStoppedAt = this.waitingSince = this.d.now();
      },
      transcript: (t) => {
        if (!live()) return;
        const key = `${t.role}:${t.itemId ?? ""}`;
        if (!t.final) return void this.partials.set(key, t);
        this.partials.delete(key);
        this.history.push({ role: t.role, text: t.text });
        this.d.record.transcript(t, this.d.now(), this.label);
        if (t.role === "caller") this.d.handoff?.callerFinal(t.text);
        else this.d.handoff?.agentFinal(t.text);
      },
      toolCall: (call) => {
        if (!live()) return;
        this.waitingSince = this.d.now(); // the answer comes after the tool
        void this.d.tools.run(call).then((r) => {
          if (live()) provider.toolResult(call, r.result);
        });
      },
      usage: (u) => live() && this.d.record.addUsage(u),
      responseDone: (responseId) => {
        if (live()) this.waitingSince = undefined; // answered (possibly with nothing to say)
        if (live()) this.d.handoff?.responseDone(responseId);
        const g = this.greeting;
        if (!g || responseId !== g.responseId || g.chunks.length === 0) return;
        const audio = concatBytes(g.chunks);
        g.chunks = [];
        void this.d.greetings?.put(g.key, { format: provider.output, audio }).catch((err: unknown) => log("warn", "greeting_cache_failed", { error: String(err) }));
      },
      ended: (end) => this.fail(provider, new ProviderError(end.code, end.message)),
      configured: (accepted) => {
        const missing = accepted.notAccepted;
        if (Array.isArray(missing) && missing.length) log("warn", "provider_config_not_accepted", { callId: this.d.callId, provider: this.label, fields: missing });
      },
    };
  }

  private startBargeIn(): void {
    const now = this.d.now();
    const { responseId, estimatedPlayedMs } = this.playback.clear(now);
    this.push({ audio: [], controls: [{ type: "playback.clear", callId: this.d.callId, reason: "barge-in" }] });
    if (this.greeting && responseId === this.greeting.responseId) this.greeting.chunks = []; // an interrupted greeting is not cached
    if (!responseId) return;
    this.interrupted.add(responseId);
    this.truncation.begin(responseId, estimatedPlayedMs);
  }

  private onFirstChunk(responseId: string, atMs: number): void {
    if (responseId === "greeting" || responseId === this.greeting?.responseId) {
      this.d.record.greeting(responseId === "greeting", atMs - this.startedAt);
      return;
    }
    if (this.callerStoppedAt === undefined) return;
    this.d.record.turn({ callerStoppedAt: this.callerStoppedAt, firstAudioAt: atMs, latencyMs: atMs - this.callerStoppedAt, provider: this.label });
    this.callerStoppedAt = undefined;
  }

  private checkStall(nowMs: number): void {
    if (this.provider && this.ready && this.waitingSince !== undefined && nowMs - this.waitingSince > (this.d.stallTimeoutMs ?? 8000)) {
      this.fail(this.provider, new ProviderError("stalled", `no answer ${nowMs - this.waitingSince} ms after the caller spoke`));
    }
  }

  private fail(provider: VoiceProvider, err: unknown): void {
    if (provider !== this.provider || this.ended) return;
    const vendor = this.d.candidates[this.next - 1]?.vendor;
    log("warn", "provider_failed", { callId: this.d.callId, provider: this.label, code: err instanceof ProviderError ? err.code : "error", error: String(err) });
    // One tenant's bad key says nothing about the vendor's health for the other calls.
    if (vendor && !(err instanceof ProviderError && (err.code === "unauthorized" || err.code === "bad_request"))) markUnhealthy(vendor, this.d.now());
    provider.close("failover");
    if (this.waitingSince !== undefined) this.waitingSince = this.d.now(); // the next provider gets its own stall budget
    const next = this.makeNext();
    if (next) {
      void this.connect(next);
      return;
    }
    this.push(this.giveUp(String(err)));
  }

  private giveUp(why: string): SecretaryOutput {
    this.provider = undefined;
    // Never silence: the handoff transfers the caller or takes the message when it can.
    if (this.d.handoff?.providerLost()) {
      log("error", "call_without_provider", { callId: this.d.callId, why, handoff: true });
      return { audio: [], controls: [] };
    }
    this.d.record.outcome("failed");
    log("error", "call_without_provider", { callId: this.d.callId, why });
    return { audio: [], controls: [{ type: "call.end", callId: this.d.callId, reason: "provider-unavailable" }] };
  }
}
