/**
 * The hub's slot table: which call each slot of the current link carries.
 * Kept in SQLite so a hub woken from hibernation still routes audio, and
 * cached in memory because every audio frame looks it up.
 */
import { migrate } from "../storage/schema.js";

/** One call on the link. Object identity matters: a route replaced or forgotten is stale. */
export interface CallRoute {
  readonly callId: string;
  readonly slot: number;
  /** Set when authorization refused the call: queued deliveries are skipped. */
  rejected: boolean;
}

const MIGRATIONS = [
  "CREATE TABLE call_routes (call_id TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE, bound_at INTEGER NOT NULL)",
  "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
];

export class CallRoutes {
  private readonly bySlot = new Map<number, CallRoute>();
  private readonly byCall = new Map<string, CallRoute>();

  constructor(private readonly storage: DurableObjectStorage) {
    migrate(storage, "relay_hub", MIGRATIONS);
    for (const row of storage.sql.exec<{ call_id: string; slot: number }>("SELECT call_id, slot FROM call_routes")) {
      this.remember({ callId: row.call_id, slot: row.slot, rejected: false });
    }
  }

  get size(): number {
    return this.byCall.size;
  }

  forSlot(slot: number): CallRoute | undefined {
    return this.bySlot.get(slot);
  }

  forCall(callId: string): CallRoute | undefined {
    return this.byCall.get(callId);
  }

  /** True while `route` is still how its call is bound (not forgotten, not rebound). */
  isCurrent(route: CallRoute): boolean {
    return this.byCall.get(route.callId) === route;
  }

  /** Binds `callId` to `slot`, replacing the call's previous binding. The slot must be free or the call's own. */
  bind(callId: string, slot: number): CallRoute {
    const previous = this.byCall.get(callId);
    if (previous) this.bySlot.delete(previous.slot);
    const route: CallRoute = { callId, slot, rejected: false };
    this.remember(route);
    this.storage.sql.exec(
      "INSERT INTO call_routes (call_id, slot, bound_at) VALUES (?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET slot = excluded.slot, bound_at = excluded.bound_at",
      callId,
      slot,
      Date.now(),
    );
    return route;
  }

  /** Forgets the call if `route` is still its binding. */
  forget(route: CallRoute): void {
    if (!this.isCurrent(route)) return;
    this.byCall.delete(route.callId);
    this.bySlot.delete(route.slot);
    this.storage.sql.exec("DELETE FROM call_routes WHERE call_id = ?", route.callId);
  }

  /** Slots belong to one connection: a new link starts empty and the relay re-announces its calls. */
  clear(): void {
    this.byCall.clear();
    this.bySlot.clear();
    this.storage.sql.exec("DELETE FROM call_routes");
  }

  /** Adds to a persistent counter (survives hibernation) and returns the new value. */
  addToCounter(name: string, n: number): number {
    const row = this.storage.sql
      .exec<{ value: number }>(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value",
        name,
        n,
      )
      .one();
    return row.value;
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.storage.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) out[row.name] = row.value;
    return out;
  }

  private remember(route: CallRoute): void {
    this.byCall.set(route.callId, route);
    this.bySlot.set(route.slot, route);
  }
}
