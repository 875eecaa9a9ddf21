/**
 * The AI secretary of one call: caller audio to the provider, agent audio
 * back to the relay, barge-in, transcripts, tools, the greeting (from the
 * cache when it is there), and failover. Vendor details stay in the
 * provider adapters; this file only sees the VoiceProvider interface, and
 * holds together the parts in the files next to it.
 *
 * Failure is never dead air: a provider that cannot open, ends, errors or
 * stays silent past `stallTimeoutMs` after the caller spoke is replaced by
 * the next candidate (the secretary's fallback, or the turn-based
 * pipeline), seeded with the conversation so far. With none left the
 * handoff transfers the caller or takes a message when it can; otherwise
 * the call ends with a clear cause.
 */
import type { ControlInput } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import type { SessionControl, UpFrame } from "../downlink.js";
import type { AgentVoice, HandoffObserver } from "../handoff/session-handoff.js";
import type { GreetingStore } from "../greeting-cache.js";
import { log } from "../log.js";
import type { Candidate } from "../providers/factory.js";
import type { HistoryTurn, Transcript } from "../providers/provider.js";
import type { ToolRegistry } from "../providers/tools.js";
import { AgentPlayback, type CallAudioFormat } from "./agent-playback.js";
import { BargeIn, type BargeInReport } from "./barge-in.js";
import { CACHED_GREETING, CallGreeting } from "./call-greeting.js";
import type { CallRecord } from "./call-record.js";
import { CallerInput } from "./caller-input.js";
import { OutputPump } from "./output-pump.js";
import { providerEvents, type CallParts } from "./provider-events.js";
import { ProviderFailover } from "./provider-failover.js";
import type { Secretary, SecretaryOutput } from "./secretary.js";
import { TurnClock } from "./turn-clock.js";

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
  private readonly providers: ProviderFailover;
  private readonly input: CallerInput;
  private readonly playback: AgentPlayback;
  private readonly history: HistoryTurn[] = [];
  private readonly clock = new TurnClock();
  private readonly greeting: CallGreeting;
  private readonly bargeIn: BargeIn;
  private readonly output: OutputPump;
  private readonly parts: CallParts;
  private ended = false;
  /** False while a transfer rings and once a handoff took the call: the provider does not hear the caller, and nobody barges in. */
  private listening = true;
  private startedAt = 0;
  /** Latest partial transcript per item, replaced by the final one. */
  readonly partials = new Map<string, Transcript>();

  constructor(private readonly d: AiSecretaryDeps) {
    this.playback = new AgentPlayback(d.call);
    this.input = new CallerInput(d.call.sampleRate);
    this.greeting = new CallGreeting(d.greetings);
    this.output = new OutputPump(this.playback, d.handoff, (out) => d.push(out), d.pumpMs);
    this.bargeIn = new BargeIn(d.callId, this.playback, (out) => this.output.push(out), d.truncateWaitMs ?? 300, (r) => {
      log("info", "barge_in", { callId: d.callId, provider: this.providers.label, playedMs: r.playedMs, source: r.source });
      this.providers.current?.interrupt(r.responseId, r.playedMs);
    });
    this.playback.onFirstChunk = (id, at) => this.onFirstChunk(id, at);
    this.providers = new ProviderFailover({ ...d, openTimeoutMs: d.openTimeoutMs ?? 5000, stallTimeoutMs: d.stallTimeoutMs ?? 8000 }, this.clock, {
      setup: () => {
        const { instructions, voice, language, vad } = d.plan;
        const greeting = this.greeting.unsaid !== undefined ? { greeting: this.greeting.unsaid } : {};
        return { instructions, voice, language, vad, tools: d.tools.specs(), history: [...this.history], ...greeting };
      },
      adopted: (provider, label) => {
        this.input.switchTo(provider);
        d.record.providerUsed(label);
      },
      events: (provider) => providerEvents(provider, d, this.parts),
      opened: async (provider) => {
        this.input.flush(provider);
        if (this.greeting.unsaid !== undefined) await this.greeting.sayBy(provider);
        else if (this.clock.waiting) provider.respond(); // failed over mid-turn: answer what the caller said
      },
      push: (out) => this.output.push(out),
      ended: () => this.ended,
    });
    const { providers, playback, greeting, clock, bargeIn, partials, history } = this;
    this.parts = { providers, playback, greeting, clock, bargeIn, partials, history, ended: () => this.ended, listening: () => this.listening, startBargeIn: () => this.startBargeIn() };
  }

  get providerLabel(): string {
    return this.providers.label;
  }

  get bargeIns(): BargeInReport[] {
    return this.bargeIn.reports;
  }

  /** Output pushed through the hub rather than returned on an upstream call. */
  get pushes(): number {
    return this.output.pushes;
  }

  /** Starts the call: the cached greeting (if any) is in the returned output; the provider opens in the background. */
  async begin(): Promise<SecretaryOutput> {
    this.startedAt = this.d.now();
    const text = this.d.plan.greeting;
    const first = this.d.candidates[0];
    if (text && first) {
      const cached = await this.greeting.lookup(this.d.plan, first.label, text);
      if (cached) {
        this.playback.push(cached.format, cached.audio, CACHED_GREETING);
        this.history.push({ role: "agent", text });
        this.d.record.transcript({ role: "agent", text, final: true }, this.startedAt, "greeting-cache");
      }
    }
    if (!this.providers.start()) return this.providers.giveUp("no provider configured");
    this.output.start(() => this.onPump());
    return this.output.take(this.d.now());
  }

  audio(frames: readonly UpFrame[], nowMs: number): SecretaryOutput {
    this.output.returning(nowMs);
    if (this.providers.current && this.listening) {
      const samples = this.input.push(frames, this.providers.current, this.providers.ready);
      if (this.providers.current.localBargeIn && samples.length > 0 && this.bargeIn.heard(samples, nowMs)) this.startBargeIn();
    }
    this.providers.checkStall(nowMs);
    return this.output.take(nowMs);
  }

  control(message: SessionControl, nowMs: number): SecretaryOutput {
    if (this.d.handoff?.control(message)) return this.output.take(nowMs);
    if (message.type === "playback.event" && message.event === "cleared") this.bargeIn.relayCleared(message.playedMs);
    return this.output.take(nowMs);
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.output.stop();
    this.bargeIn.cancel();
    this.d.handoff?.end();
    this.providers.current?.close(reason);
    if (this.d.record.facts().outcome === null) this.d.record.outcome("completed");
  }

  /** The agent says `text` (a handoff line); rejects when no provider is ready to say it. */
  async say(text: string): Promise<void> {
    const provider = this.providers.current;
    if (!provider || !this.providers.ready || this.ended) throw new Error("no provider to speak");
    await provider.say(text);
  }

  stopListening(): void {
    this.listening = false;
  }

  resumeListening(): void {
    if (!this.ended) this.listening = true;
  }

  sendControls(controls: ControlInput[]): void {
    if (!this.ended) this.output.push({ audio: [], controls });
  }

  private onPump(): void {
    if (this.ended) return;
    const now = this.d.now();
    this.providers.checkStall(now);
    this.output.pushDue(now);
  }

  private startBargeIn(): void {
    this.greeting.interrupted(this.bargeIn.start(this.d.now()));
  }

  private onFirstChunk(responseId: string, atMs: number): void {
    if (this.greeting.owns(responseId)) return this.d.record.greeting(responseId === CACHED_GREETING, atMs - this.startedAt);
    const callerStoppedAt = this.clock.firstAudio();
    if (callerStoppedAt === undefined) return;
    this.d.record.turn({ callerStoppedAt, firstAudioAt: atMs, latencyMs: atMs - callerStoppedAt, provider: this.providers.label });
  }
}
