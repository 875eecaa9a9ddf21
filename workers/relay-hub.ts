/**
 * RelayHub: one Durable Object per relay. It owns the relay's WebSocket
 * (hibernation API: an idle link costs nothing, heartbeats are answered by the
 * runtime), does the handshake, and hands each message to the call switch
 * (hub/call-switch.ts), which routes audio and control to each call's
 * CallSession. It stays a thin switch: the work of a call lives in the call's
 * own object, so one call's trouble stays there.
 */
import { DurableObject } from "cloudflare:workers";
import { CloseCode, ControlType, HEARTBEAT_PING, HEARTBEAT_PONG, LinkDecoder, LinkErrorCode, LinkProtocolError } from "../shared/link/index.js";
import { resolveLimits, type LinkItem } from "../shared/link/index.js";
import { encodeDownlink, isEmptyDownlink, type Downlink } from "./downlink.js";
import type { ApiBindings } from "./api/bindings.js";
import { noteRelaySoftware } from "./auth/call-authz.js";
import type { Env } from "./env.js";
import { CallDeliveries, type DeliveryKind } from "./hub/call-deliveries.js";
import { CallRoutes, type CallRoute } from "./hub/call-routes.js";
import { CallSwitch } from "./hub/call-switch.js";
import { closeSocket, completeHandshake, connectionOf, failLink, liveSocket, printable, sendBytes, sendCallFailure } from "./hub/link-connection.js";
import { RELAY_ID_HEADER, RELAY_SOCKET_TAG, REVOKED_CLOSE_REASON, TENANT_ID_HEADER, WS_OPEN, type LinkConnection } from "./hub/link-connection.js";
import { log } from "./log.js";

/**
 * How long a call may go without being resumed after a new connection, or
 * without any link at all, before the hub ends its session. The relay falls
 * back on its own side well before this; this only frees cloud resources
 * (provider sessions) of calls nobody will resume.
 */
export const ORPHAN_GRACE_MS = 60_000;

/** Storage key set once the relay's token is revoked (a revocation is final). */
const REVOKED_KEY = "revoked_at";

/** Counters of one hub, for tests and diagnostics. */
export interface HubStats {
  connected: boolean;
  /** Calls the hub knows, including ones announced on an earlier connection and not yet resumed. */
  calls: number;
  unknownSlotFrames: number;
  wrongDirectionFrames: number;
  unknownCallControls: number;
  callsEndedOnError: number;
  callsOrphaned: number;
  sessionErrors: number;
}

export class RelayHub extends DurableObject<Env> {
  private readonly limits = resolveLimits();
  private readonly routes: CallRoutes;
  private readonly deliveries = new CallDeliveries({
    session: (relayId, callId) => this.env.CALL_SESSION.get(this.env.CALL_SESSION.idFromName(`${relayId}/${callId}`)),
    onDownlink: (route, downlink) => void this.sendDownlink(route, downlink),
    onFailure: (route, what, err) => this.onDeliveryFailure(route, what, err),
  });
  private readonly switch: CallSwitch;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.routes = new CallRoutes(ctx.storage);
    this.switch = new CallSwitch({
      routes: this.routes,
      deliveries: this.deliveries,
      limits: this.limits,
      tellCallFailed: (callId, code, message) => {
        const ws = this.currentSocket();
        if (ws) sendCallFailure(ws, callId, code, message);
      },
    });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
  }

  /** The Worker forwards an authenticated upgrade here; identity comes only from its internal headers. */
  override async fetch(request: Request): Promise<Response> {
    const relayId = request.headers.get(RELAY_ID_HEADER);
    const tenantId = request.headers.get(TENANT_ID_HEADER);
    if (!relayId || !tenantId) return new Response("missing relay identity", { status: 400 });
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    // An upgrade authenticated just before the revocation committed may arrive after it.
    if (await this.ctx.storage.get<number>(REVOKED_KEY)) {
      log("warn", "link_refused_revoked", { relayId });
      return closedUpgrade(CloseCode.Unauthorized, REVOKED_CLOSE_REASON);
    }
    for (const old of this.ctx.getWebSockets(RELAY_SOCKET_TAG)) {
      const conn = connectionOf(old);
      if (conn) old.serializeAttachment({ ...conn, replaced: true });
      closeSocket(old, CloseCode.Replaced, "replaced");
    }
    const connectionId = this.routes.addToCounter("connections", 1);
    this.routes.relayId = relayId;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [RELAY_SOCKET_TAG]);
    const conn: LinkConnection = { relayId, tenantId, connectionId, connectedAt: Date.now(), handshakeDone: false, protocolVersion: null, replaced: false };
    server.serializeAttachment(conn);
    // Calls from earlier connections must be resumed (or ended) by then.
    if (this.routes.size > 0) await this.ctx.storage.setAlarm(Date.now() + ORPHAN_GRACE_MS);
    log("info", "link_connected", { relayId, connectionId });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = connectionOf(ws);
    if (!conn || conn.replaced || conn.revoked) return;
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
      this.ctx.waitUntil(noteRelaySoftware({ relayId: conn.relayId, tenantId: conn.tenantId }, first.message.software, this.env as unknown as ApiBindings));
      next = 1;
    }
    // Awaiting keeps this event open until the message's deliveries land; it does not hold up
    // the next message (workerd dispatches it once this handler has started).
    await Promise.all(this.switch.dispatch(ws, conn, items.slice(next)));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const conn = connectionOf(ws);
    // Sessions are not ended: the relay reconnects and resumes its calls (or the alarm ends them).
    log("info", "link_closed", { relayId: conn?.relayId, code, reason: printable(reason).slice(0, 120), replaced: conn?.replaced ?? false });
    closeSocket(ws, CloseCode.Normal, "closed");
    if (!conn?.replaced && this.routes.size > 0) await this.ctx.storage.setAlarm(Date.now() + ORPHAN_GRACE_MS);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "link_error", { relayId: connectionOf(ws)?.relayId, error: String(error) });
    closeSocket(ws, CloseCode.Internal, "error");
  }

  /**
   * Ends the sessions of calls nobody will resume: with no link, all of them;
   * with a link, those not announced on it. The alarm is set one grace period
   * after a connection or a disconnection, so it fires only after the relay
   * had that long to resume.
   */
  override async alarm(): Promise<void> {
    const live = this.currentSocket();
    const current = live ? connectionOf(live)?.connectionId : undefined;
    const relayId = this.routes.relayId;
    if (!relayId) return;
    const orphans = this.routes.all().filter((r) => current === undefined || r.connectionId !== current);
    if (orphans.length === 0) return;
    log("warn", "calls_orphaned", { relayId, calls: orphans.map((r) => r.callId), linkUp: live !== undefined });
    this.routes.addToCounter("calls_orphaned", orphans.length);
    await Promise.all(orphans.map((r) => this.switch.endCall(r, relayId, "orphaned:not-resumed")));
  }

  /**
   * The relay's token was revoked (config API): close its open link now with
   * 4401 "revoked" instead of leaving it up until it reconnects, and end its
   * calls' sessions (the relay falls back on its side when the link drops).
   * Connections that reach this object afterwards are refused the same way.
   */
  async revoke(reason: string): Promise<{ closedLinks: number; endedCalls: number }> {
    await this.ctx.storage.put(REVOKED_KEY, Date.now());
    let closedLinks = 0;
    for (const ws of this.ctx.getWebSockets(RELAY_SOCKET_TAG)) {
      const conn = connectionOf(ws);
      if (conn) ws.serializeAttachment({ ...conn, revoked: true });
      if (ws.readyState === WS_OPEN) closedLinks++;
      closeSocket(ws, CloseCode.Unauthorized, REVOKED_CLOSE_REASON);
    }
    const relayId = this.routes.relayId;
    const calls = this.routes.all();
    log("warn", "link_revoked", { relayId, reason: printable(reason).slice(0, 200), closedLinks, calls: calls.map((r) => r.callId) });
    if (relayId) await Promise.all(calls.map((r) => this.switch.endCall(r, relayId, "relay-revoked")));
    return { closedLinks, endedCalls: calls.length };
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
      callsOrphaned: c["calls_orphaned"] ?? 0,
      sessionErrors: c["session_errors"] ?? 0,
    };
  }

  /** For a session with output when no upstream call is pending. False when the call or the link is gone. */
  async pushDownlink(callId: string, downlink: Downlink): Promise<boolean> {
    const route = this.routes.forCall(callId);
    return route ? this.sendDownlink(route, downlink) : false;
  }

  private sendDownlink(route: CallRoute, downlink: Downlink): boolean {
    if (isEmptyDownlink(downlink)) return true;
    // A forgotten or rebound call must never play into whatever uses its slot now.
    if (!this.routes.isCurrent(route)) return false;
    const ws = this.currentSocket();
    // Link down, or the call not resumed on this link yet: live audio is not worth keeping.
    if (!ws || connectionOf(ws)?.connectionId !== route.connectionId) return false;
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
    const ws = this.currentSocket();
    if (ws) sendCallFailure(ws, route.callId, LinkErrorCode.Internal, "the call's session failed to start");
  }

  private currentSocket(): WebSocket | undefined {
    return liveSocket(this.ctx.getWebSockets(RELAY_SOCKET_TAG));
  }
}

/** A WebSocket closed at once with `code`: the relay sees a close code it acts on, not a failed handshake. */
function closedUpgrade(code: number, reason: string): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: client });
}
