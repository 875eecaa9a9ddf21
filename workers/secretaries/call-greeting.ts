/**
 * The greeting of one call. From the cache when the first provider's voice
 * said it on an earlier call: the caller hears it at once, before any
 * provider is open. Otherwise the first provider to open says it, and its
 * audio is kept for the next call, unless the caller talked over it. A
 * provider that takes over after the greeting was said does not say it
 * again.
 */
import { concatBytes } from "../../shared/link/index.js";
import type { AiPlan } from "../call-plan.js";
import { greetingKey, type CachedGreeting, type GreetingStore } from "../greeting-cache.js";
import { log } from "../log.js";
import type { ProviderAudioFormat, VoiceProvider } from "../providers/provider.js";

/** The playback id of the greeting played from the cache. */
export const CACHED_GREETING = "greeting";

export class CallGreeting {
  private g: { key: string; text: string; responseId?: string; chunks: Uint8Array[]; said: boolean } | undefined;

  constructor(private readonly store: GreetingStore | undefined) {}

  /** Looks `text` up for `provider`'s voice; the cached audio, when there is some, plays now and counts as said. */
  async lookup(plan: Pick<AiPlan, "secretaryId" | "voice">, provider: string, text: string): Promise<CachedGreeting | null | undefined> {
    const key = greetingKey({ secretaryId: plan.secretaryId, provider, voice: plan.voice, text });
    const cached = await this.store?.get(key).catch(() => null);
    this.g = { key, text, chunks: [], said: cached != null };
    return cached;
  }

  /** The greeting nobody has said yet (a new provider is told it); undefined once said, or with no greeting. */
  get unsaid(): string | undefined {
    return this.g && !this.g.said ? this.g.text : undefined;
  }

  /** `provider` says the greeting now; its answer is the one to cache. */
  async sayBy(provider: VoiceProvider): Promise<void> {
    const g = this.g;
    if (!g) return;
    g.said = true;
    g.responseId = await provider.say(g.text);
  }

  /** Is `responseId` the greeting (from the cache, or said by a provider)? */
  owns(responseId: string): boolean {
    return responseId === CACHED_GREETING || responseId === this.g?.responseId;
  }

  /** Agent audio of `responseId`: kept when it is the greeting. */
  audio(responseId: string, bytes: Uint8Array): void {
    const g = this.g;
    if (g && responseId === g.responseId) g.chunks.push(bytes);
  }

  /** The caller talked over `responseId`: an interrupted greeting is not cached. */
  interrupted(responseId: string | undefined): void {
    if (this.g && responseId === this.g.responseId) this.g.chunks = [];
  }

  /** `responseId` is complete: the greeting's audio goes to the cache (best effort, logged). */
  responseDone(responseId: string, format: ProviderAudioFormat): void {
    const g = this.g;
    if (!g || responseId !== g.responseId || g.chunks.length === 0) return;
    const audio = concatBytes(g.chunks);
    g.chunks = [];
    void this.store?.put(g.key, { format, audio }).catch((err: unknown) => log("warn", "greeting_cache_failed", { error: String(err) }));
  }
}
