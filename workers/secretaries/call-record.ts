/**
 * The per-call record in the CallSession's SQLite: transcript turns with
 * timestamps, latency per turn (caller stops speaking -> first agent audio
 * sent to the relay), usage, providers used and the outcome. Only final
 * transcripts are written (partials change many times a second and live in
 * memory); the conversation record in Postgres is built from these rows at
 * the end of the call.
 */
import type { Transcript, Usage } from "../providers/provider.js";

/** Appended to the CallSession's migrations (never edit, only add). */
export const CALL_RECORD_MIGRATIONS = [
  `CREATE TABLE transcript (seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, text TEXT NOT NULL, at_ms INTEGER NOT NULL, provider TEXT)`,
  `CREATE TABLE turn (seq INTEGER PRIMARY KEY AUTOINCREMENT, caller_stopped_at INTEGER NOT NULL, first_audio_at INTEGER NOT NULL, latency_ms INTEGER NOT NULL, provider TEXT NOT NULL)`,
  `CREATE TABLE call_facts (id INTEGER PRIMARY KEY CHECK (id = 1), providers TEXT NOT NULL DEFAULT '[]', usage TEXT NOT NULL DEFAULT '{}', outcome TEXT, greeting_cached INTEGER, greeting_ms INTEGER)`,
];

export interface TranscriptRow {
  role: "caller" | "agent";
  text: string;
  atMs: number;
  provider: string | null;
}

export interface TurnRow {
  callerStoppedAt: number;
  firstAudioAt: number;
  latencyMs: number;
  provider: string;
}

export interface CallFacts {
  providers: string[];
  usage: Usage;
  outcome: string | null;
  greetingCached: boolean | null;
  greetingMs: number | null;
}

export class CallRecord {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("INSERT OR IGNORE INTO call_facts (id) VALUES (1)");
  }

  transcript(t: Transcript, atMs: number, provider: string | null): void {
    if (!t.final || t.text.trim() === "") return;
    this.sql.exec("INSERT INTO transcript (role, text, at_ms, provider) VALUES (?, ?, ?, ?)", t.role, t.text, atMs, provider);
  }

  turn(row: TurnRow): void {
    this.sql.exec("INSERT INTO turn (caller_stopped_at, first_audio_at, latency_ms, provider) VALUES (?, ?, ?, ?)", row.callerStoppedAt, row.firstAudioAt, row.latencyMs, row.provider);
  }

  providerUsed(name: string): void {
    const f = this.facts();
    if (f.providers.at(-1) !== name) this.sql.exec("UPDATE call_facts SET providers = ? WHERE id = 1", JSON.stringify([...f.providers, name]));
  }

  addUsage(u: Usage): void {
    const cur = this.facts().usage;
    const sum: Usage = {};
    for (const k of ["inputTokens", "outputTokens", "inputAudioMs", "outputAudioMs"] as const) {
      const v = (cur[k] ?? 0) + (u[k] ?? 0);
      if (v) sum[k] = v;
    }
    this.sql.exec("UPDATE call_facts SET usage = ? WHERE id = 1", JSON.stringify(sum));
  }

  greeting(cached: boolean, ms: number): void {
    this.sql.exec("UPDATE call_facts SET greeting_cached = ?, greeting_ms = ? WHERE id = 1", cached ? 1 : 0, Math.round(ms));
  }

  outcome(outcome: string): void {
    this.sql.exec("UPDATE call_facts SET outcome = ? WHERE id = 1", outcome);
  }

  transcripts(): TranscriptRow[] {
    return this.sql
      .exec<{ role: string; text: string; at_ms: number; provider: string | null }>("SELECT role, text, at_ms, provider FROM transcript ORDER BY seq")
      .toArray()
      .map((r) => ({ role: r.role as TranscriptRow["role"], text: r.text, atMs: r.at_ms, provider: r.provider }));
  }

  turns(): TurnRow[] {
    return this.sql
      .exec<{ caller_stopped_at: number; first_audio_at: number; latency_ms: number; provider: string }>("SELECT * FROM turn ORDER BY seq")
      .toArray()
      .map((r) => ({ callerStoppedAt: r.caller_stopped_at, firstAudioAt: r.first_audio_at, latencyMs: r.latency_ms, provider: r.provider }));
  }

  facts(): CallFacts {
    const r = this.sql
      .exec<{ providers: string; usage: string; outcome: string | null; greeting_cached: number | null; greeting_ms: number | null }>("SELECT * FROM call_facts WHERE id = 1")
      .toArray()[0];
    return {
      providers: JSON.parse(r?.providers ?? "[]") as string[],
      usage: JSON.parse(r?.usage ?? "{}") as Usage,
      outcome: r?.outcome ?? null,
      greetingCached: r?.greeting_cached == null ? null : r.greeting_cached === 1,
      greetingMs: r?.greeting_ms ?? null,
    };
  }
}
