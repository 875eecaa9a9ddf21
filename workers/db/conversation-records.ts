/**
 * Where a CallSession stores the record of its call when the call ends:
 * one row per (tenant, call), so a retry after a lost answer updates the
 * same row instead of adding a second one.
 */
import type { z } from "zod";
import { conversationCreate } from "../api/schemas/conversation.js";
import type { Sql } from "./client.js";

export type ConversationRecord = z.input<typeof conversationCreate>;

/** Validates like the API does, then inserts or replaces the call's record; returns its id. */
export async function recordConversation(sql: Sql, tenantId: string, record: ConversationRecord): Promise<string> {
  const r = conversationCreate.parse(record);
  const [row] = await sql<{ id: string }[]>`
    insert into conversations (tenant_id, call_id, secretary_id, caller, started_at, ended_at, duration_seconds, turns,
      avg_latency_ms, transcript, summary, handoff_reason, outcome, ticket_id, handoff_duration_ms, handoff_error, provider)
    values (${tenantId}, ${r.callId}, ${r.secretaryId ?? null}, ${r.caller ?? ""}, ${r.startedAt}, ${r.endedAt ?? null},
      ${r.durationSeconds ?? null}, ${r.turns ?? 0}, ${r.avgLatencyMs ?? null}, ${sql.json(r.transcript ?? [])},
      ${r.summary ?? null}, ${r.handoffReason ?? null}, ${r.outcome ?? null}, ${r.ticketId ?? null},
      ${r.handoffDurationMs ?? null}, ${r.handoffError ?? null}, ${r.provider ?? null})
    on conflict (tenant_id, call_id) do update set
      secretary_id = excluded.secretary_id, caller = excluded.caller, ended_at = excluded.ended_at,
      duration_seconds = excluded.duration_seconds, turns = excluded.turns, avg_latency_ms = excluded.avg_latency_ms,
      transcript = excluded.transcript, summary = excluded.summary, handoff_reason = excluded.handoff_reason,
      outcome = excluded.outcome, ticket_id = excluded.ticket_id, handoff_duration_ms = excluded.handoff_duration_ms,
      handoff_error = excluded.handoff_error, provider = excluded.provider,
      version = conversations.version + 1, updated_at = now()
    returning id`;
  return row!.id;
}
