/**
 * CallSession: one Durable Object per call, named `<relayId>/<callId>` by
 * the RelayHub, so a call resumed after a link drop lands on the same object
 * and keeps its state. It runs the call's secretary (the diagnostic echo, or
 * an AI secretary with its provider; call-plan.ts decides) and answers every
 * upstream RPC with the Downlink for the relay. Output that cannot wait for
 * an upstream call (a barge-in's playback.clear, agent audio while the
 * caller is silent) goes through the hub's pushDownlink.
 */
import { DurableObject } from "cloudflare:workers";
import type { ControlOf } from "../shared/link/index.js";
import { resolveCallPlan, type AiPlan, type CallPlan } from "./call-plan.js";
import { emptyDownlink, type Downlink, type DownFrame, type SessionControl, type UpFrame } from "./downlink.js";
import type { Env } from "./env.js";
import { log } from "./log.js";
import { AiSecretary } from "./secretaries/ai-secretary.js";
import { makeAiSecretary } from "./secretaries/ai-wiring.js";
import type { BargeInReport } from "./secretaries/barge-in.js";
import { CALL_RECORD_MIGRATIONS, CallRecord, type CallFacts, type TranscriptRow, type TurnRow } from "./secretaries/call-record.js";
import { exportConversation } from "./secretaries/conversation-export.js";
import { EchoSecretary, resolveEchoDelayMs } from "./secretaries/echo.js";
import type { Secretary, SecretaryOutput } from "./secretaries/secretary.js";
import { HandoffStore } from "./handoff/handoff-store.js";
import { handoffFields } from "./handoff/record-fields.js";
import { migrate } from "./storage/schema.js";

/** What the hub tells a session about its call (call.start / call.resume). */
export type CallStartInfo = Omit<ControlOf<"call.start">, "type"> & {
  kind: "start" | "resume";
  relayId: string;
  tenantId: string;
};

export interface CallSessionStatus {
  started: boolean;
  ended: boolean;
  endReason: string | null;
  relayId: string | null;
  callId: string | null;
  framesIn: number;
  framesOut: number;
  /** DTMF, playback events and command results received. */
  controlsIn: number;
  resumes: number;
  /** The seq the next agent frame will carry. */
  nextDownSeq: number;
  echoDelayMs: number | null;
  secretary: "echo" | "ai" | null;
  /** The AI provider in use ("openai-realtime:gpt-realtime", ...). */
  provider: string | null;
  transcript: TranscriptRow[];
  partials: { role: string; text: string }[];
  turns: TurnRow[];
  facts: CallFacts;
  bargeIns: BargeInReport[];
  /** Downlinks pushed through the hub (not riding on an upstream call's return). */
  pushes: number;
}

const MIGRATIONS = [
  `CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    relay_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    info TEXT NOT NULL,
    echo_delay_ms INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    resumes INTEGER NOT NULL DEFAULT 0,
    frames_in INTEGER NOT NULL DEFAULT 0,
    frames_out INTEGER NOT NULL DEFAULT 0,
    down_seq_reserved INTEGER NOT NULL DEFAULT 0
  )`,
  "ALTER TABLE session ADD COLUMN controls_in INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE session ADD COLUMN secretary_kind TEXT NOT NULL DEFAULT 'echo'",
  ...CALL_RECORD_MIGRATIONS,
];

interface SessionRow {
  relay_id: string;
  call_id: string;
  echo_delay_ms: number;
  ended_at: number | null;
  end_reason: string | null;
  resumes: number;
  frames_in: number;
  frames_out: number;
  controls_in: number;
  down_seq_reserved: number;
  secretary_kind: string;
}

/**
 * Writing counters on every audio RPC (~50/s per call) would bill a row write
 * each time; they are diagnostics, so they are flushed at most once a second.
 * The down seq must never repeat, even if the object is evicted between
 * flushes: storage holds a reservation ahead of what was used, and a reload
 * continues from the reservation (a gap, never a repeat).
 */
const FLUSH_INTERVAL_MS = 1000;
const SEQ_RESERVATION = 3000; // a minute of 20 ms frames

export class CallSession extends DurableObject<Env> {
  private row: SessionRow | undefined;
  private nextDownSeq = 0;
  private lastFlushMs = 0;
  private secretary: Secretary | undefined;
  private readonly record: CallRecord;
  /** Set before start() to skip the config lookup (tests, tools). */
  presetPlan: CallPlan | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, "call_session", MIGRATIONS);
    this.record = new CallRecord(ctx.storage.sql);
    this.row = ctx.storage.sql.exec<SessionRow & Record<string, SqlStorageValue>>("SELECT * FROM session WHERE id = 1").toArray()[0];
    if (this.row) this.nextDownSeq = this.row.down_seq_reserved;
  }

  /** Starts the call, or resumes it when this session already knows it (state kept). */
  async start(info: CallStartInfo): Promise<Downlink> {
    const now = Date.now();
    const row = this.row;
    if (row) {
      if (row.call_id !== info.callId || row.relay_id !== info.relayId) {
        throw new Error(`session of call ${row.call_id} asked to start call ${info.callId}`);
      }
      if (row.ended_at !== null) {
        // The call is over here; tell the relay so it does not stream into the void.
        return { frames: [], controls: [{ type: "call.end", callId: info.callId, reason: "session-ended" }] };
      }
      row.resumes += 1;
      this.flush(now, true);
      log("info", "call_resumed", { relayId: info.relayId, callId: info.callId, kind: info.kind, resumes: row.resumes });
      return this.output(await (await this.getSecretary()).audio([], now));
    }
    const plan = this.presetPlan ?? (await resolveCallPlan(this.env, info));
    const echo = resolveEchoDelayMs(this.env.ECHO_DELAY_MS, info.variables?.["echo_delay_ms"]);
    if (echo.ignored) log("warn", "echo_delay_ignored", { callId: info.callId, value: echo.ignored });
    this.ctx.storage.sql.exec(
      "INSERT INTO session (id, relay_id, tenant_id, call_id, info, echo_delay_ms, started_at, secretary_kind) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
      info.relayId,
      info.tenantId,
      info.callId,
      JSON.stringify(info),
      echo.delayMs,
      now,
      plan.kind,
    );
    this.row = {
      relay_id: info.relayId,
      call_id: info.callId,
      echo_delay_ms: echo.delayMs,
      ended_at: null,
      end_reason: null,
      resumes: 0,
      frames_in: 0,
      frames_out: 0,
      controls_in: 0,
      down_seq_reserved: 0,
      secretary_kind: plan.kind,
    };
    this.lastFlushMs = now;
    log("info", "call_started", { relayId: info.relayId, callId: info.callId, kind: info.kind, secretary: plan.kind, echoDelayMs: echo.delayMs });
    if (plan.kind === "echo") return emptyDownlink();
    const ai = this.startAi(info, plan, true);
    this.secretary = ai;
    return this.output(await ai.begin());
  }

  /** Caller audio, in order. Returns the agent audio due now. */
  async audio(frames: UpFrame[]): Promise<Downlink> {
    const row = this.activeRow();
    if (!row) return emptyDownlink();
    row.frames_in += frames.length;
    return this.output(await (await this.getSecretary()).audio(frames, Date.now()));
  }

  /** DTMF, playback events and command results from the relay. */
  async control(message: SessionControl): Promise<Downlink> {
    const row = this.activeRow();
    if (!row) return emptyDownlink();
    row.controls_in += 1;
    return this.output(await (await this.getSecretary()).control(message, Date.now()));
  }

  /** Ends the call (idempotent). */
  async end(reason: string): Promise<void> {
    const row = this.activeRow();
    if (!row) return;
    row.ended_at = Date.now();
    row.end_reason = reason;
    await this.secretary?.end(reason);
    this.secretary = undefined;
    this.flush(row.ended_at, true);
    if (row.secretary_kind === "ai") {
      const r = this.ctx.storage.sql.exec<{ info: string; started_at: number }>("SELECT info, started_at FROM session WHERE id = 1").one();
      await exportConversation(this.env, JSON.parse(r.info) as CallStartInfo, this.record, r.started_at, row.ended_at, handoffFields(new HandoffStore(this.ctx.storage).read()));
    }
    log("info", "call_ended", { relayId: row.relay_id, callId: row.call_id, reason, framesIn: row.frames_in, framesOut: row.frames_out });
  }

  /** For tests and diagnostics. */
  async status(): Promise<CallSessionStatus> {
    const row = this.row;
    const ai = this.secretary instanceof AiSecretary ? this.secretary : undefined;
    return {
      started: row !== undefined,
      ended: row?.ended_at != null,
      endReason: row?.end_reason ?? null,
      relayId: row?.relay_id ?? null,
      callId: row?.call_id ?? null,
      framesIn: row?.frames_in ?? 0,
      framesOut: row?.frames_out ?? 0,
      controlsIn: row?.controls_in ?? 0,
      resumes: row?.resumes ?? 0,
      nextDownSeq: this.nextDownSeq,
      echoDelayMs: row?.echo_delay_ms ?? null,
      secretary: row ? (row.secretary_kind as "echo" | "ai") : null,
      provider: ai?.providerLabel ?? this.record.facts().providers.at(-1) ?? null,
      transcript: this.record.transcripts(),
      partials: ai ? [...ai.partials.values()].map((t) => ({ role: t.role, text: t.text })) : [],
      turns: this.record.turns(),
      facts: this.record.facts(),
      bargeIns: ai?.bargeIns ?? [],
      pushes: ai?.pushes ?? 0,
    };
  }

  private activeRow(): SessionRow | undefined {
    return this.row && this.row.ended_at === null ? this.row : undefined;
  }

  /** The secretary, made again after an eviction (state in memory only); an AI one does not greet twice. */
  private async getSecretary(): Promise<Secretary> {
    if (this.secretary) return this.secretary;
    const row = this.row;
    if (row?.secretary_kind === "ai") {
      const info = this.ctx.storage.sql.exec<{ info: string }>("SELECT info FROM session WHERE id = 1").one().info;
      const start = JSON.parse(info) as CallStartInfo;
      const plan = this.presetPlan ?? (await resolveCallPlan(this.env, start));
      if (plan.kind === "ai") {
        const ai = this.startAi(start, plan, false);
        this.secretary = ai;
        await ai.begin();
        return ai;
      }
    }
    this.secretary = new EchoSecretary({ delayMs: row?.echo_delay_ms ?? 0 });
    return this.secretary;
  }

  private startAi(info: CallStartInfo, plan: AiPlan, greet: boolean): AiSecretary {
    const startedAt = this.ctx.storage.sql.exec<{ started_at: number }>("SELECT started_at FROM session WHERE id = 1").one().started_at;
    return makeAiSecretary(this.env, info, greet ? plan : { ...plan, greeting: null }, this.record, (out) => (this.activeRow() ? this.output(out) : undefined), {
      storage: this.ctx.storage,
      startedAt,
    });
  }

  /** Numbers the secretary's audio and persists what must survive. */
  private output(out: SecretaryOutput): Downlink {
    const row = this.row;
    if (!row) return emptyDownlink();
    const frames: DownFrame[] = out.audio.map((a) => ({ ...a, seq: this.nextDownSeq++ >>> 0 }));
    row.frames_out += frames.length;
    // Past half the reservation: extend it now. The output gate holds this
    // response until the write is durable, so no seq leaves unreserved.
    this.flush(Date.now(), this.nextDownSeq + SEQ_RESERVATION / 2 > row.down_seq_reserved);
    return { frames, controls: out.controls };
  }

  private flush(now: number, force = false): void {
    const row = this.row;
    if (!row || (!force && now - this.lastFlushMs < FLUSH_INTERVAL_MS)) return;
    if (this.nextDownSeq + SEQ_RESERVATION / 2 > row.down_seq_reserved) row.down_seq_reserved = this.nextDownSeq + SEQ_RESERVATION;
    this.ctx.storage.sql.exec(
      "UPDATE session SET ended_at = ?, end_reason = ?, resumes = ?, frames_in = ?, frames_out = ?, controls_in = ?, down_seq_reserved = ? WHERE id = 1",
      row.ended_at,
      row.end_reason,
      row.resumes,
      row.frames_in,
      row.frames_out,
      row.controls_in,
      row.down_seq_reserved,
    );
    this.lastFlushMs = now;
  }
}
