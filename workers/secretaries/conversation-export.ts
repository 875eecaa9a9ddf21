/**
 * At the end of an AI call, the CallSession's own record (call-record.ts)
 * becomes the tenant's conversation row in Postgres (one row per call,
 * retry-safe: db/conversation-records.ts), which the config API lists.
 */
import type { CallStartInfo } from "../call-session.js";
import { createSql } from "../db/client.js";
import { recordConversation, type ConversationRecord } from "../db/conversation-records.js";
import type { Env } from "../env.js";
import { log } from "../log.js";
import type { CallRecord } from "./call-record.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OUTCOMES = new Set(["completed", "transferred", "ticket_created", "abandoned", "failed"]);

export function conversationOf(info: CallStartInfo, record: CallRecord, startedAt: number, endedAt: number, handoff: Partial<ConversationRecord> = {}): ConversationRecord {
  const turns = record.turns();
  const facts = record.facts();
  const secretaryId = info.secretaryId ?? info.variables?.["VOICE_AI_SECRETARY_UUID"];
  return {
    callId: info.callId,
    secretaryId: secretaryId && UUID_RE.test(secretaryId) ? secretaryId.toLowerCase() : null,
    caller: info.caller.number,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    durationSeconds: Math.round((endedAt - startedAt) / 100) / 10,
    turns: turns.length,
    avgLatencyMs: turns.length ? Math.round(turns.reduce((a, t) => a + t.latencyMs, 0) / turns.length) : null,
    transcript: record.transcripts().map((t) => ({ role: t.role, text: t.text.slice(0, 10_000), timestamp: new Date(t.atMs).toISOString() })),
    outcome: (OUTCOMES.has(facts.outcome ?? "") ? facts.outcome : "completed") as ConversationRecord["outcome"],
    provider: facts.providers.at(-1)?.slice(0, 64) ?? null,
    ...handoff,
  };
}

/** Best effort: a database hiccup must not fail the end of the call; it is logged. */
export async function exportConversation(env: Env, info: CallStartInfo, record: CallRecord, startedAt: number, endedAt: number, handoff: Partial<ConversationRecord> = {}): Promise<void> {
  const tenantId = UUID_RE.test(info.tenantId) ? info.tenantId : env.LOCAL_CONFIG_TENANT_ID;
  if (!tenantId || !UUID_RE.test(tenantId) || !env.HYPERDRIVE) return;
  try {
    await recordConversation(createSql(env.HYPERDRIVE.connectionString, { max: 1 }), tenantId, conversationOf(info, record, startedAt, endedAt, handoff));
  } catch (err) {
    log("warn", "conversation_record_failed", { callId: info.callId, error: err instanceof Error ? err.message : String(err) });
  }
}
