/**
 * What a ticket says: the body OmniPlay takes (issue 5), built from the
 * same conversation record the call leaves in Postgres, so the person who
 * calls back reads what the record holds; and the summary, from a chat
 * model when one is reachable, else from the caller's own words (a ticket
 * is never held back for want of a summary).
 */
import type { ConversationRecord } from "../db/conversation-records.js";
import type { HandoffReason } from "./decision.js";
import type { TicketRequest } from "./omniplay.js";

export interface TicketFacts {
  summary: string;
  reason: HandoffReason;
  language: string;
  queueId: string | null;
  secretaryId: string | null;
  callbackNumber?: string;
  conversationId?: string | null;
}

export function ticketRequest(conv: ConversationRecord, f: TicketFacts): TicketRequest {
  const summary = f.callbackNumber ? `${f.summary}\nRetorno: ${f.callbackNumber}` : f.summary;
  return {
    call_uuid: conv.callId,
    caller_id: conv.caller ?? "",
    transcript: (conv.transcript ?? []).map((t) => ({ role: t.role, text: t.text, timestamp: t.timestamp })),
    summary,
    provider: conv.provider ?? null,
    language: f.language,
    duration_seconds: conv.durationSeconds ?? 0,
    turns: conv.turns ?? 0,
    avg_latency_ms: conv.avgLatencyMs ?? null,
    handoff_reason: f.reason,
    queue_id: f.queueId,
    secretary_uuid: f.secretaryId,
    attach_recording: false,
    conversation_id: f.conversationId ?? null,
  };
}

export interface Said {
  role: "caller" | "agent" | string;
  text: string;
}

/** The summary when no model can write one: what the caller said, most recent last, capped. */
export function fallbackSummary(transcript: readonly Said[], given?: string): string {
  if (given?.trim()) return given.trim();
  const caller = transcript.filter((t) => t.role === "caller").map((t) => t.text.trim()).filter(Boolean);
  const text = caller.join(" / ");
  if (!text) return "Ligação sem fala do cliente registrada.";
  return text.length > 1500 ? `…${text.slice(-1500)}` : text;
}

/** The chat messages that ask a model for the summary a person reads before calling back. */
export function summaryMessages(transcript: readonly Said[], language: string): { role: "system" | "user"; content: string }[] {
  const lines = transcript.map((t) => `${t.role === "caller" ? "Cliente" : "Agente"}: ${t.text}`).join("\n");
  return [
    {
      role: "system",
      content:
        `Write, in the language ${language}, a summary of this phone call for the person who will call the customer back: ` +
        "what the customer wants, names, numbers and dates they gave, and what was already answered. At most 5 sentences, no preamble.",
    },
    { role: "user", content: lines.slice(-12_000) || "(no speech)" },
  ];
}

/** Reads a streamed chat answer into one string (the turn-based adapter streams). */
export async function collectText(stream: AsyncIterable<{ text?: string }>, maxChars = 4000): Promise<string> {
  let out = "";
  for await (const part of stream) {
    if (part.text) out += part.text;
    if (out.length > maxChars) break;
  }
  return out.trim().slice(0, maxChars);
}
