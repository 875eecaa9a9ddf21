/**
 * RelayHub: one Durable Object per relay. It owns the relay's WebSocket
 * (hibernation API: an idle link costs nothing, heartbeats are answered by the
 * runtime), does the handshake, and switches each call's audio and control
 * to that call's CallSession. It stays a thin switch: the work of a call
 * lives in the call's own object, so one call's trouble stays there.
 */
import { DurableObject } from "cloudflare:workers";
import { CloseCode, Consequence, ControlType, Direction, HEARTBEAT_PING, HEARTBEAT_PONG, LinkDecoder, LinkErrorCode } from "../shared/link/index.js";
import { LinkProtocolError, resolveLimits, type AudioFrame, type ControlMessage, type ControlOf, type LinkItem } from "../shared/link/index.js";
import { authorizeCall } from "./auth/call-authz.js";
import { encodeDownlink, isEmptyDownlink, type Downlink, type UpFrame } from "./downlink.js";
import type { Env } from "./env.js";
import { CallDeliveries, type DeliveryKind } from "./hub/call-deliveries.js";
import { CallRoutes, type CallRoute } from "./hub/call-routes.js";
import { closeSocket, completeHandshake, connectionOf, failLink, liveSocket, printable, sendBytes, sendCallFailure } from "./hub/link-connection.js";
import { RELAY_ID_HEADER, RELAY_SOCKET_TAG, TENANT_ID_HEADER, type LinkConnection } from "./hub/link-connection.js";
import { log } from "./log.js";

/** Counters of one hub, for tests and diagnostics. */
export interface HubStats {
  connected: boolean;
  calls: number;
  unknownSlotFrames: number;
  wrongDirectionFrames: number;
  unknownCallControls: number;
  callsEndedOnError: number;
  sessionErrors: number;
}

/** What one incoming WebSocket message does, gathered so each call gets one audio RPC per message. */
interface MessageWork {
  ws: WebSocket;
  conn: LinkConnection;
  pending: Map<CallRoute, UpFrame[]>;
  counts: Record<"unknown_slot_frames" | "wrong_direction_frames" | "unknown_call_controls", number>;
  /** Session RPCs started for this message (already chained per call). */
  delivered: Promise<void>[];
}

export class RelayHub extends DurableObject<Env> {
  private readonly limits = resolveLimits();
  private readonly routes: CallRoutes;
  private readonly deliveries = new CallDeliveries({
    session: (relayId, callId) => this.env.CALL_SESSION.get(this.env.CALL_SESSION.idFromName(`${relayId}/${callId}`)),
    onDownlink: (route, downlink) => void this.sendDownlink(route, downlink),
    onFailure: (route, what, err) => this.onDeliveryFailure(route, what, err),
  });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.routes = new CallRoutes(ctx.storage);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
  }

  /** The Worker forwards an authenticated upgrade here; identity comes only from its internal headers. */
  override async fetch(request: Request): Promise<Response> {
    const relayId = request.headers.get(RELAY_ID_HEADER);
    const tenantId = request.headers.get(TENANT_ID_HEADER);
    if (!relayId || !tenantId) return new Response("missing relay identity", { status: 400 });
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    for (const old of this.ctx.getWebSockets(RELAY_SOCKET_TAG)) {
      const conn = connectionOf(old);
      if (conn) old.serializeAttachment({ ...conn, replaced: true });
      closeSocket(old, CloseCode.Replaced, "replaced");
    }
    this.routes.clear();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [RELAY_SOCKET_TAG]);
    const conn: LinkConnection = { relayId, tenantId, connectedAt: Date.now(), handshakeDone: false, protocolVersion: null, replaced: false };
    server.serializeAttachment(conn);
    log("info", "link_connected", { relayId });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = connectionOf(ws);
    if (!conn || conn.replaced) return;
    if (typeof message === "string") {
      // "ping" never gets here (auto response); any other text breaks the framing rules.
      failLink(ws, LinkErrorCode.ControlInvalid, "text messages are heartbeats only", CloseCode.ProtocolError, "protocol error");
      return;
    }
    let items: LinkItem[];
    try {
      // Every WebSocket message ends on a record boundary, so a fresh decoder per message is enough.
      items = new LinkDecoder(this.limits).decodeMessage(new Uint8Array(message));
    } catch (err) {
      if (!(err instanceof LinkProtocolError)) throw err;
      failLink(ws, err.code, err.message, CloseCode.ProtocolError, "protocol error");
      return;
    }
    let next = 0;
    if (!conn.handshakeDone) {
      const first = items[0];
      if (first?.kind !== "control" || first.message.type !== ControlType.Hello) {
        failLink(ws, LinkErrorCode.HandshakeRequired, "the first record must be hello", CloseCode.ProtocolError, "protocol error");
        return;
      }
      if (!completeHandshake(ws, conn, first.message, this.limits)) return;
      next = 1;
    }
    const counts = { unknown_slot_frames: 0, wrong_direction_frames: 0, unknown_call_controls: 0 };
    const work: MessageWork = { ws, conn, pending: new Map(), counts, delivered: [] };
    for (const item of items.slice(next)) if (!this.handleItem(work, item)) break;
    for (const route of [...work.pending.keys()]) this.flushAudio(work, route);
    for (const [name, n] of Object.entries(counts)) if (n > 0) this.routes.addToCounter(name, n);
    // Awaiting keeps the object busy (not hibernating) until this message's deliveries land.
    await Promise.all(work.delivered);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const conn = connectionOf(ws);
    // Sessions are not ended: the relay reconnects and resumes its calls.
    log("info", "link_closed", { relayId: conn?.relayId, code, reason: printable(reason).slice(0, 120), replaced: conn?.replaced ?? false });
    closeSocket(ws, CloseCode.Normal, "closed");
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "link_error", { relayId: connectionOf(ws)?.relayId, error: String(error) });
    closeSocket(ws, CloseCode.Internal, "error");
  }

  /** Counters of this hub (tests, diagnostics). */
  async stats(): Promise<HubStats> {
    const c = this.routes.counters();
    return {
      connected: this.currentSocket() !== undefined,
      calls: this.routes.size,
      unknownSlotFrames: c["unknown_slot_frames"] ?? 0,
      wrongDirectionFrames: c["wrong_direction_frames"] ?? 0,
      unknownCallControls: c["unknown_call_controls"] ?? 0,
      callsEndedOnError: c["calls_ended_on_error"] ?? 0,
      sessionErrors: c["session_errors"] ?? 0,
    };
  }

  /** For a session with output when no upstream call is pending. False when the call or the link is gone. */
  async pushDownlink(callId: string, downlink: Downlink): Promise<boolean> {
    const route = this.routes.forCall(callId);
    return route ? this.sendDownlink(route, downlink) : false;
  }

  /** Returns false when the link was closed and the rest of the message must be dropped. */
  private handleItem(work: MessageWork, item: LinkItem): boolean {
    if (item.kind === "audio") this.onFrame(work, item.frame);
    else if (item.kind === "error") this.onCallError(work, item.error);
    else if (item.kind === "control") return this.onControl(work, item.message);
    return true;
  }

  private onFrame(work: MessageWork, frame: AudioFrame): void {
    if (frame.direction !== Direction.Up) {
      work.counts.wrong_direction_frames++;
      return;
    }
    const route = this.routes.forSlot(frame.slot);
    if (!route) {
      work.counts.unknown_slot_frames++;
      return;
    }
    let frames = work.pending.get(route);
    if (!frames) work.pending.set(route, (frames = []));
    // Copy: the decoded payload is a view into the whole message, which RPC would otherwise ship to every session.
    const { seq, timestampMs, encoding, sampleRate } = frame;
    frames.push({ seq, timestampMs, encoding, sampleRate, payload: frame.payload.slice() });
  }

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
        const route = this.routes.forCall(msg.callId);
        if (!route) {
          work.counts.unknown_call_controls++;
          return true;
        }
        this.flushAudio(work, route); // the call's earlier frames go first
        if (msg.type === "call.end") {
          this.routes.forget(route);
          work.delivered.push(this.deliveries.add(route, work.conn.relayId, "end", (s) => s.end(msg.reason)));
        } else {
          work.delivered.push(this.deliveries.add(route, work.conn.relayId, "control", (s) => s.control(msg)));
        }
        return true;
      }
      case "error":
        log("warn", "relay_reported_error", { relayId: work.conn.relayId, code: msg.code, consequence: msg.consequence, callId: msg.callId });
        if (msg.consequence === Consequence.EndCall && msg.callId) this.endCall(work, msg.callId, `relay-error:${msg.code}`);
        return true;
      default:
        // Cloud-to-relay messages (welcome, playback.*, command) mean nothing here.
        log("warn", "control_ignored", { relayId: work.conn.relayId, type: msg.type });
        return true;
    }
  }

  private onCallStart(work: MessageWork, msg: ControlOf<"call.start"> | ControlOf<"call.resume">): void {
    const owner = this.routes.forSlot(msg.slot);
    if (owner && owner.callId !== msg.callId) {
      this.failCall(work, msg.callId, LinkErrorCode.SlotInUse, `slot ${msg.slot} carries another call`);
      return;
    }
    const existing = this.routes.forCall(msg.callId);
    if (!existing && this.routes.size >= this.limits.maxCalls) {
      this.failCall(work, msg.callId, LinkErrorCode.CallLimit, `at most ${this.limits.maxCalls} calls per link`);
      return;
    }
    if (existing) this.flushAudio(work, existing);
    const route = this.routes.bind(msg.callId, msg.slot);
    const { relayId, tenantId } = work.conn;
    const { type, ...call } = msg;
    const kind = type === "call.start" ? "start" : "resume";
    work.delivered.push(
      this.deliveries.add(route, relayId, "start", async (session) => {
        const decision = await authorizeCall({ relayId, tenantId }, msg);
        if (decision.allowed) return session.start({ ...call, kind, relayId, tenantId });
        route.rejected = true; // never started: queued deliveries must not reach the session
        this.routes.forget(route);
        this.sendCallFailure(msg.callId, LinkErrorCode.CallRejected, decision.reason);
        return undefined;
      }),
    );
  }

  /** A per-call protocol error from the decoder: that call ends, the others carry on. */
  private onCallError(work: MessageWork, error: LinkProtocolError): void {
    const callId = error.callId ?? (error.slot !== undefined ? this.routes.forSlot(error.slot)?.callId : undefined);
    if (!callId) {
      work.counts.unknown_slot_frames++;
      return;
    }
    log("warn", "call_protocol_error", { relayId: work.conn.relayId, callId, code: error.code });
    this.failCall(work, callId, error.code, error.message);
  }

  /** Ends one call because of an error: tell the relay (error + call.end), end the session, forget the slot. */
  private failCall(work: MessageWork, callId: string, code: string, message: string): void {
    this.sendCallFailure(callId, code, message, work.ws);
    this.endCall(work, callId, `error:${code}`);
  }

  private endCall(work: MessageWork, callId: string, reason: string): void {
    const route = this.routes.forCall(callId);
    if (!route) return;
    work.pending.delete(route); // the call is over: its remaining frames of this message are moot
    this.routes.forget(route);
    if (reason.startsWith("error:")) this.routes.addToCounter("calls_ended_on_error", 1);
    work.delivered.push(this.deliveries.add(route, work.conn.relayId, "end", (s) => s.end(reason)));
  }

  private sendCallFailure(callId: string, code: string, message: string, ws = this.currentSocket()): void {
    if (ws) sendCallFailure(ws, callId, code, message);
  }

  private flushAudio(work: MessageWork, route: CallRoute): void {
    const frames = work.pending.get(route);
    if (!frames) return;
    work.pending.delete(route);
    work.delivered.push(this.deliveries.add(route, work.conn.relayId, "audio", (s) => s.audio(frames)));
  }

  private sendDownlink(route: CallRoute, downlink: Downlink): boolean {
    if (isEmptyDownlink(downlink)) return true;
    // A forgotten or rebound call must never play into whatever uses its slot now.
    if (!this.routes.isCurrent(route)) return false;
    const ws = this.currentSocket();
    if (!ws) return false; // link down: live audio is not worth keeping
    const sent = sendBytes(ws, encodeDownlink(downlink, route.slot));
    if (downlink.controls.some((c) => c.type === "call.end" && c.callId === route.callId)) this.routes.forget(route);
    return sent;
  }

  private onDeliveryFailure(route: CallRoute, what: DeliveryKind, err: unknown): void {
    log("error", "session_delivery_failed", { callId: route.callId, what, error: String(err) });
    this.routes.addToCounter("session_errors", 1);
    if (what !== "start" || !this.routes.isCurrent(route)) return;
    // A session that failed to start cannot take the call's audio.
    route.rejected = true;
    this.routes.forget(route);
    this.sendCallFailure(route.callId, LinkErrorCode.Internal, "the call's session failed to start");
  }

  private currentSocket(): WebSocket | undefined {
    return liveSocket(this.ctx.getWebSockets(RELAY_SOCKET_TAG));
  }
}
