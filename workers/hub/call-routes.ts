/**
 * The hub's call table: which call each slot carries, and on which connection
 * the relay last announced it. Kept in SQLite so a hub woken from hibernation
 * still routes audio, and cached in memory because every audio frame looks it
 * up. Calls outlive a connection: after a reconnect the relay resumes them
 * (call.resume) or ends them (call.end); the ones it does neither to are
 * orphans, which the hub ends after a grace period.
 */
import { migrate } from "../storage/schema.js";

/** One call of the relay. Object identity matters: a route replaced or forgotten is stale. */
export interface CallRoute {
  readonly callId: string;
  readonly slot: number;
  /** The connection on which the relay last announced the call (start or resume). */
  readonly connectionId: number;
  /** Set when authorization refused the call: queued deliveries are skipped. */
  rejected: boolean;
}

const MIGRATIONS = [
  "CREATE TABLE call_routes (call_id TEXT PRIMARY KEY, slot INTEGER NOT NULL UNIQUE, bound_at INTEGER NOT NULL)",
  "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
  "ALTER TABLE call_routes ADD COLUMN connection_id INTEGER NOT NULL DEFAULT 0",
  "CREATE TABLE hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
];

interface RouteRow extends Record<string, SqlStorageValue> {
  call_id: string;
  slot: number;
  connection_id: number;
}

export class CallRoutes {
  private readonly bySlot = new Map<number, CallRoute>();
  private readonly byCall = new Map<string, CallRoute>();

  constructor(private readonly storage: DurableObjectStorage) {
    migrate(storage, "relay_hub", MIGRATIONS);
    for (const row of storage.sql.exec<RouteRow>("SELECT call_id, slot, connection_id FROM call_routes")) {
      this.remember({ callId: row.call_id, slot: row.slot, connectionId: row.connection_id, rejected: false });
    }
  }

  get size(): number {
    return this.byCall.size;
  }

  /** The call on `slot`, whichever connection announced it. */
  forSlot(slot: number): CallRoute | undefined {
    return this.bySlot.get(slot);
  }

  forCall(callId: string): CallRoute | undefined {
    return this.byCall.get(callId);
  }

  all(): CallRoute[] {
    return [...this.byCall.values()];
  }

  /** True while `route` is still how its call is bound (not forgotten, not rebound). */
  isCurrent(route: CallRoute): boolean {
    return this.byCall.get(route.callId) === route;
  }

  /** Binds `callId` to `slot` for `connectionId`, replacing the call's previous binding. The slot must be free or the call's own. */
  bind(callId: string, slot: number, connectionId: number): CallRoute {
    const previous = this.byCall.get(callId);
    if (previous) this.bySlot.delete(previous.slot);
    const route: CallRoute = { callId, slot, connectionId, rejected: false };
    this.remember(route);
    this.storage.sql.exec(
      `INSERT INTO call_routes (call_id, slot, bound_at, connection_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (call_id) DO UPDATE SET slot = excluded.slot, bound_at = excluded.bound_at, connection_id = excluded.connection_id`,
      callId,
      slot,
      Date.now(),
      connectionId,
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

  /** The relay this hub serves, remembered for work done with no socket at hand (alarms). */
  get relayId(): string | undefined {
    return this.storage.sql.exec<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'relay_id'").toArray()[0]?.value;
  }

  set relayId(relayId: string) {
    this.storage.sql.exec("INSERT INTO hub_meta (key, value) VALUES ('relay_id', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", relayId);
  }

  private remember(route: CallRoute): void {
    this.byCall.set(route.callId, route);
    this.bySlot.set(route.slot, route);
  }
}
