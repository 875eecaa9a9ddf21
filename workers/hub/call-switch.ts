/**
 * The hub's switch: what one decoded WebSocket message does to the calls.
 * Audio is grouped per call per message (one session RPC per call per
 * message, whatever the number of frames); controls go to the call they name;
 * per-call errors end that call only. Everything here runs synchronously for
 * a message and only queues RPCs (per-call chains, see call-deliveries.ts), so
 * the order of the relay's messages is the order each session sees.
 */
import { CloseCode, Consequence, Direction, LinkErrorCode, type AudioFrame, type ControlMessage, type ControlOf } from "../../shared/link/index.js";
import type { LinkItem, LinkLimits, LinkProtocolError } from "../../shared/link/index.js";
import { authorizeCall } from "../auth/call-authz.js";
import type { UpFrame } from "../downlink.js";
import { log } from "../log.js";
import type { CallDeliveries } from "./call-deliveries.js";
import type { CallRoute, CallRoutes } from "./call-routes.js";
import { failLink, type LinkConnection } from "./link-connection.js";

export interface SwitchDeps {
  routes: CallRoutes;
  deliveries: CallDeliveries;
  limits: LinkLimits;
  /** Tells the relay that the cloud ended a call (`error` end-call, then `call.end` with the code). */
  tellCallFailed(callId: string, code: string, message: string): void;
}

type CounterName = "unknown_slot_frames" | "wrong_direction_frames" | "unknown_call_controls" | "calls_ended_on_error";

interface MessageWork {
  ws: WebSocket;
  conn: LinkConnection;
  pending: Map<CallRoute, UpFrame[]>;
  delivered: Promise<void>[];
  /** Counted per message, written once (a storage write per dropped frame would be wasteful). */
  counts: Partial<Record<CounterName, number>>;
}

function count(work: MessageWork, name: CounterName): void {
  work.counts[name] = (work.counts[name] ?? 0) + 1;
}

export class CallSwitch {
  constructor(private readonly d: SwitchDeps) {}

  /** Routes the items of one message (after the handshake). Returns the session RPCs it queued. */
  dispatch(ws: WebSocket, conn: LinkConnection, items: readonly LinkItem[]): Promise<void>[] {
    const work: MessageWork = { ws, conn, pending: new Map(), delivered: [], counts: {} };
    for (const item of items) {
      if (item.kind === "audio") this.onFrame(work, item.frame);
      else if (item.kind === "error") this.onCallError(work, item.error);
      else if (item.kind === "control" && !this.onControl(work, item.message)) break;
    }
    for (const route of [...work.pending.keys()]) this.flushAudio(work, route);
    for (const [name, n] of Object.entries(work.counts)) this.d.routes.addToCounter(name, n);
    return work.delivered;
  }

  /** Ends a call the cloud decided to end: forgets it and tells its session. */
  endCall(route: CallRoute, relayId: string, reason: string): Promise<void> {
    this.d.routes.forget(route);
    return this.d.deliveries.add(route, relayId, "end", (s) => s.end(reason));
  }

  private onFrame(work: MessageWork, frame: AudioFrame): void {
    const route = frame.direction === Direction.Up ? this.d.routes.forSlot(frame.slot) : undefined;
    // Only calls announced on this connection: before its call.resume, a slot may mean another call.
    if (!route || route.connectionId !== work.conn.connectionId) {
      count(work, frame.direction === Direction.Up ? "unknown_slot_frames" : "wrong_direction_frames");
      return;
    }
    let frames = work.pending.get(route);
    if (!frames) work.pending.set(route, (frames = []));
    // Copy: the decoded payload is a view into the whole message, which RPC would otherwise ship to every session.
    const { seq, timestampMs, encoding, sampleRate } = frame;
    frames.push({ seq, timestampMs, encoding, sampleRate, payload: frame.payload.slice() });
  }

  /** Returns false when the link was closed and the rest of the message must be dropped. */
  private onControl(work: MessageWork, msg: ControlMessage): boolean {
    switch (msg.type) {
      case "hello":
        failLink(work.ws, LinkErrorCode.ControlInvalid, "hello after the handshake", CloseCode.ProtocolError, "protocol error");
        return false;
      case "call.start":
      case "call.resume":
        this.onCallStart(work, msg);
        return true;
      case "call.end":
      case "dtmf":
      case "playback.event":
      case "command.result": {
        const route = this.d.routes.forCall(msg.callId);
        if (!route) {
          count(work, "unknown_call_controls");
          return true;
        }
        this.flushAudio(work, route); // the call's earlier frames go first
        const relayId = work.conn.relayId;
        if (msg.type === "call.end") work.delivered.push(this.endCall(route, relayId, msg.reason));
        else work.delivered.push(this.d.deliveries.add(route, relayId, "control", (s) => s.control(msg)));
        return true;
      }
      case "error": {
        log("warn", "relay_reported_error", { relayId: work.conn.relayId, code: msg.code, consequence: msg.consequence, callId: msg.callId });
        const route = msg.consequence === Consequence.EndCall && msg.callId ? this.d.routes.forCall(msg.callId) : undefined;
        if (route) this.endOnError(work, route, `relay-error:${msg.code}`);
        return true;
      }
      default:
        // Cloud-to-relay messages (welcome, playback.*, command) mean nothing here.
        log("warn", "control_ignored", { relayId: work.conn.relayId, type: msg.type });
        return true;
    }
  }

  private onCallStart(work: MessageWork, msg: ControlOf<"call.start"> | ControlOf<"call.resume">): void {
    const { routes, limits } = this.d;
    const owner = routes.forSlot(msg.slot);
    if (owner && owner.callId !== msg.callId) {
      if (owner.connectionId === work.conn.connectionId) {
        this.failCall(work, msg.callId, LinkErrorCode.SlotInUse, `slot ${msg.slot} carries another call`);
        return;
      }
      // Announced on an earlier connection and not resumed since: the relay has moved on (restarted).
      log("warn", "call_orphaned", { relayId: work.conn.relayId, callId: owner.callId, why: "slot reused" });
      this.flushAudio(work, owner);
      work.delivered.push(this.endCall(owner, work.conn.relayId, "orphaned:slot-reused"));
    }
    const existing = routes.forCall(msg.callId);
    if (!existing && routes.size >= limits.maxCalls) {
      this.failCall(work, msg.callId, LinkErrorCode.CallLimit, `at most ${limits.maxCalls} calls per link`);
      return;
    }
    if (existing) this.flushAudio(work, existing);
    const route = routes.bind(msg.callId, msg.slot, work.conn.connectionId);
    const { relayId, tenantId } = work.conn;
    const { type, ...call } = msg;
    const kind = type === "call.start" ? "start" : "resume";
    work.delivered.push(
      this.d.deliveries.add(route, relayId, "start", async (session) => {
        const decision = await authorizeCall({ relayId, tenantId }, msg);
        if (decision.allowed) return session.start({ ...call, kind, relayId, tenantId });
        route.rejected = true; // never started: queued deliveries must not reach the session
        routes.forget(route);
        this.d.tellCallFailed(msg.callId, LinkErrorCode.CallRejected, decision.reason);
        return undefined;
      }),
    );
  }

  /** A per-call protocol error from the decoder: that call ends, the others carry on. */
  private onCallError(work: MessageWork, error: LinkProtocolError): void {
    const callId = error.callId ?? (error.slot !== undefined ? this.d.routes.forSlot(error.slot)?.callId : undefined);
    if (!callId) {
      count(work, "unknown_slot_frames");
      return;
    }
    log("warn", "call_protocol_error", { relayId: work.conn.relayId, callId, code: error.code });
    this.failCall(work, callId, error.code, error.message);
  }

  /** Tell the relay (error + call.end), and end the session if the hub knows the call. */
  private failCall(work: MessageWork, callId: string, code: string, message: string): void {
    this.d.tellCallFailed(callId, code, message);
    const route = this.d.routes.forCall(callId);
    if (route) this.endOnError(work, route, `error:${code}`);
  }

  private endOnError(work: MessageWork, route: CallRoute, reason: string): void {
    work.pending.delete(route); // the call is over: its remaining frames of this message are moot
    count(work, "calls_ended_on_error");
    work.delivered.push(this.endCall(route, work.conn.relayId, reason));
  }

  private flushAudio(work: MessageWork, route: CallRoute): void {
    const frames = work.pending.get(route);
    if (!frames) return;
    work.pending.delete(route);
    work.delivered.push(this.d.deliveries.add(route, work.conn.relayId, "audio", (s) => s.audio(frames)));
  }
}
