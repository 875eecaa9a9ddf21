/**
 * Per-call ordering of the hub's RPCs to sessions. Each call has a promise
 * chain: a call's start, audio batches, controls and end reach its session
 * in the order the relay sent them, while different calls proceed
 * concurrently (one slow session never holds up the others).
 */
import type { CallSession } from "../call-session.js";
import type { Downlink } from "../downlink.js";
import type { CallRoute } from "./call-routes.js";

export type SessionStub = DurableObjectStub<CallSession>;
export type DeliveryKind = "start" | "audio" | "control" | "end";

export interface DeliveryHooks {
  /** The session of `callId` on relay `relayId`. */
  session(relayId: string, callId: string): SessionStub;
  /** What the session answered, for the relay. */
  onDownlink(route: CallRoute, downlink: Downlink): void;
  /** The RPC threw (session bug, overload, eviction). The chain carries on. */
  onFailure(route: CallRoute, what: DeliveryKind, err: unknown): void;
}

export class CallDeliveries {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly hooks: DeliveryHooks) {}

  /** Calls with deliveries in flight. */
  get busyCalls(): number {
    return this.chains.size;
  }

  /**
   * Queues `op` behind the call's earlier deliveries. The returned promise
   * settles when it has run; it never rejects.
   */
  add(route: CallRoute, relayId: string, what: DeliveryKind, op: (session: SessionStub) => Promise<Downlink | void | undefined>): Promise<void> {
    const key = route.callId;
    const run = async (): Promise<void> => {
      if (route.rejected) return;
      try {
        const downlink = await op(this.hooks.session(relayId, route.callId));
        if (downlink) this.hooks.onDownlink(route, downlink);
      } catch (err) {
        this.hooks.onFailure(route, what, err);
      }
    };
    const next = (this.chains.get(key) ?? Promise.resolve()).then(run);
    this.chains.set(key, next);
    // Drop the chain once idle so the map holds only calls with work in flight.
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }
}
