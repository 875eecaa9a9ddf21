/**
 * The providers of one call, best first (the secretary's provider, its
 * fallback, the turn-based pipeline): which one is live, whether it is
 * open, and the next to take over when it cannot open within the open
 * timeout, ends, errors, or stays silent past the stall timeout after the
 * caller spoke. The next is seeded with the conversation so far. A vendor
 * that fails is marked unhealthy for the other calls too, unless the fault
 * was the tenant's own. With none left the call must not go silent: the
 * handoff takes it when it can, else it ends with a clear cause.
 */
import type { HandoffObserver } from "../handoff/session-handoff.js";
import { log } from "../log.js";
import { markUnhealthy, type Candidate } from "../providers/factory.js";
import { ProviderError, type ProviderEvents, type SessionSetup, type VoiceProvider } from "../providers/provider.js";
import type { CallRecord } from "./call-record.js";
import type { SecretaryOutput } from "./secretary.js";
import type { TurnClock } from "./turn-clock.js";

export interface FailoverDeps {
  callId: string;
  candidates: readonly Candidate[];
  record: CallRecord;
  handoff?: HandoffObserver;
  now(): number;
  openTimeoutMs: number;
  stallTimeoutMs: number;
}

/** What the failover asks of the call. */
export interface FailoverPorts {
  /** The session a new provider starts with: the conversation so far. */
  setup(): SessionSetup;
  /** `provider` is the call's now (not open yet). */
  adopted(provider: VoiceProvider, label: string): void;
  events(provider: VoiceProvider): ProviderEvents;
  /** `provider` opened: it hears the caller from now on. */
  opened(provider: VoiceProvider): Promise<void>;
  /** Output for the relay now, not waiting for the next upstream call. */
  push(out: SecretaryOutput): void;
  /** Is the call over? */
  ended(): boolean;
}

export class ProviderFailover {
  /** The live provider; undefined before the first is made and once none is left. */
  current: VoiceProvider | undefined;
  /** The live provider's candidate label (logs, the call record). */
  label = "";
  /** The live provider is open: caller audio goes to it rather than being held. */
  ready = false;
  private next = 0;

  constructor(
    private readonly d: FailoverDeps,
    private readonly clock: TurnClock,
    private readonly call: FailoverPorts,
  ) {}

  /** Makes the next candidate that can be made the live one and opens it in the background; false when none is left. */
  start(): boolean {
    const provider = this.makeNext();
    if (provider) void this.connect(provider);
    return provider !== undefined;
  }

  /** The live `provider` failed: the next takes over (a provider no longer live is ignored). */
  fail(provider: VoiceProvider, err: unknown): void {
    if (provider !== this.current || this.call.ended()) return;
    const vendor = this.d.candidates[this.next - 1]?.vendor;
    log("warn", "provider_failed", { callId: this.d.callId, provider: this.label, code: err instanceof ProviderError ? err.code : "error", error: String(err) });
    // One tenant's bad key says nothing about the vendor's health for the other calls.
    if (vendor && !(err instanceof ProviderError && (err.code === "unauthorized" || err.code === "bad_request"))) markUnhealthy(vendor, this.d.now());
    provider.close("failover");
    this.clock.failedOver(this.d.now()); // the next provider gets its own stall budget
    if (!this.start()) this.call.push(this.giveUp(String(err)));
  }

  /** An open provider that leaves the caller waiting past the stall timeout has failed. */
  checkStall(nowMs: number): void {
    if (!this.current || !this.ready) return;
    const waited = this.clock.overdue(nowMs, this.d.stallTimeoutMs);
    if (waited !== undefined) this.fail(this.current, new ProviderError("stalled", `no answer ${waited} ms after the caller spoke`));
  }

  /** No provider left. Never silence: the handoff transfers the caller or takes the message when it can (no `call.end`); else the call ends, failed. */
  giveUp(why: string): SecretaryOutput {
    this.current = undefined;
    if (this.d.handoff?.providerLost()) {
      log("error", "call_without_provider", { callId: this.d.callId, why, handoff: true });
      return { audio: [], controls: [] };
    }
    this.d.record.outcome("failed");
    log("error", "call_without_provider", { callId: this.d.callId, why });
    return { audio: [], controls: [{ type: "call.end", callId: this.d.callId, reason: "provider-unavailable" }] };
  }

  private makeNext(): VoiceProvider | undefined {
    while (this.next < this.d.candidates.length) {
      const c = this.d.candidates[this.next++] as Candidate;
      try {
        const provider = c.make(this.call.setup());
        this.current = provider;
        this.label = c.label;
        this.ready = false;
        this.call.adopted(provider, c.label);
        return provider;
      } catch (err) {
        log("warn", "provider_unusable", { callId: this.d.callId, provider: c.label, error: String(err) });
      }
    }
    return undefined;
  }

  private async connect(provider: VoiceProvider): Promise<void> {
    try {
      await openWithin(provider, this.call.events(provider), this.d.openTimeoutMs);
    } catch (err) {
      return this.fail(provider, err);
    }
    if (this.current !== provider || this.call.ended()) return provider.close("superseded");
    this.ready = true;
    await this.call.opened(provider);
  }
}

/** Opens `provider`; one not ready after `timeoutMs` rejects as stalled. */
function openWithin(provider: VoiceProvider, events: ProviderEvents, timeoutMs: number): Promise<void> {
  const opened = provider.open(events);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ProviderError("stalled", `not ready after ${timeoutMs} ms`)), timeoutMs)));
  const clear = () => clearTimeout(timer);
  void opened.then(clear, clear);
  return Promise.race([opened, timeout]);
}
