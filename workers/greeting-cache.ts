/**
 * GreetingCache: synthesized greeting audio (with its format), one Durable
 * Object per (secretary, provider, voice, text), so a repeat call starts
 * speaking from storage instead of waiting for a provider to synthesize the
 * same sentence again. A changed greeting or voice is a different key; old
 * entries are never read again and cost only their storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "./env.js";
import type { ProviderAudioFormat } from "./providers/provider.js";
import { migrate } from "./storage/schema.js";

export interface CachedGreeting {
  format: ProviderAudioFormat;
  audio: Uint8Array;
}

/** Where an AiSecretary finds and keeps greetings (GreetingCache objects, or a map in tests). */
export interface GreetingStore {
  get(key: string): Promise<CachedGreeting | null>;
  put(key: string, greeting: CachedGreeting): Promise<unknown>;
}

/** SQLite rows top out at 2 MB: a greeting longer than ~40 s of 24 kHz PCM is not cached. */
export const MAX_GREETING_BYTES = 1_900_000;

export function greetingKey(parts: { secretaryId: string; provider: string; voice: string | null; text: string }): string {
  return JSON.stringify([parts.secretaryId, parts.provider, parts.voice ?? "", parts.text]);
}

export class GreetingCache extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, "greeting_cache", ["CREATE TABLE greeting (id INTEGER PRIMARY KEY CHECK (id = 1), encoding TEXT NOT NULL, rate INTEGER NOT NULL, audio BLOB NOT NULL, stored_at INTEGER NOT NULL)"]);
  }

  async get(): Promise<CachedGreeting | null> {
    const row = this.ctx.storage.sql.exec<{ encoding: string; rate: number; audio: ArrayBuffer }>("SELECT encoding, rate, audio FROM greeting WHERE id = 1").toArray()[0];
    if (!row) return null;
    return { format: { encoding: row.encoding as ProviderAudioFormat["encoding"], sampleRate: row.rate }, audio: new Uint8Array(row.audio) };
  }

  async put(entry: CachedGreeting): Promise<boolean> {
    if (entry.audio.byteLength === 0 || entry.audio.byteLength > MAX_GREETING_BYTES) return false;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO greeting (id, encoding, rate, audio, stored_at) VALUES (1, ?, ?, ?, ?)",
      entry.format.encoding,
      entry.format.sampleRate,
      entry.audio,
      Date.now(),
    );
    return true;
  }
}
