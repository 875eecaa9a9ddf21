/**
 * The handoff's part of the CallSession's storage (its own schema name, so
 * it migrates apart from the session's tables): the ticket once OmniPlay
 * created it (read back before any retry, so an evicted session never asks
 * for a second one) and how the handoff ended, which the conversation
 * record takes at the end of the call.
 */
import { migrate } from "../storage/schema.js";
import type { HandoffResult } from "./controller.js";
import type { Ticket, TicketStore } from "./omniplay.js";
import type { StoredHandoff } from "./record-fields.js";

export const HANDOFF_MIGRATIONS = [
  `CREATE TABLE handoff (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ticket TEXT,
    reason TEXT,
    outcome TEXT,
    summary TEXT,
    error TEXT,
    duration_ms INTEGER
  )`,
];

type Row = { ticket: string | null; reason: string | null; outcome: string | null; summary: string | null; error: string | null; duration_ms: number | null };

export class HandoffStore implements TicketStore {
  constructor(private readonly storage: DurableObjectStorage) {
    migrate(storage, "handoff", HANDOFF_MIGRATIONS);
    storage.sql.exec("INSERT OR IGNORE INTO handoff (id) VALUES (1)");
  }

  get(): Ticket | null {
    const t = this.row()?.ticket;
    return t ? (JSON.parse(t) as Ticket) : null;
  }

  put(ticket: Ticket): void {
    this.storage.sql.exec("UPDATE handoff SET ticket = ? WHERE id = 1", JSON.stringify(ticket));
  }

  finished(r: HandoffResult): void {
    this.storage.sql.exec(
      "UPDATE handoff SET reason = ?, outcome = ?, summary = ?, error = ?, duration_ms = ? WHERE id = 1",
      r.reason,
      r.outcome,
      r.summary ?? null,
      r.error ?? null,
      Math.round(r.durationMs),
    );
  }

  read(): StoredHandoff {
    const r = this.row();
    const ticket = r?.ticket ? (JSON.parse(r.ticket) as Ticket) : null;
    return {
      ticketId: ticket ? String(ticket.ticket_id) : null,
      reason: r?.reason ?? null,
      outcome: r?.outcome ?? null,
      summary: r?.summary ?? null,
      error: r?.error ?? null,
      durationMs: r?.duration_ms ?? null,
    };
  }

  private row(): Row | undefined {
    return this.storage.sql.exec<Row>("SELECT ticket, reason, outcome, summary, error, duration_ms FROM handoff WHERE id = 1").toArray()[0];
  }
}

