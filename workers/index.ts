/**
 * The Worker: HTTP routes (Hono) and the Durable Object classes it exports.
 * The relay link is routed here to its RelayHub; everything about a call
 * happens in the Durable Objects.
 */
import { Hono } from "hono";
import { CloseCode, PROTOCOL_VERSION } from "../shared/link/index.js";
import { createApi } from "./api/app.js";
import { authenticateRelay, bearerToken } from "./auth/relay-auth.js";
import type { Env } from "./env.js";
import { log } from "./log.js";
import { apiError, errorHandler, notFound } from "./api/errors.js";
import { INTERNAL_HEADER_PREFIX, RELAY_ID_HEADER, TENANT_ID_HEADER } from "./hub/link-connection.js";

const SERVICE_NAME = "voice-ai-secretary";

const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.json({ status: "ok", service: SERVICE_NAME, protocolVersion: PROTOCOL_VERSION }));

app.get("/v1/relay/connect", async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw apiError(426, "UPGRADE_REQUIRED", "this endpoint takes a WebSocket upgrade");
  }
  const identity = await authenticateRelay(bearerToken(c.req.header("Authorization") ?? null), c.env);
  if (!identity) return refuseUpgrade();
  // Identity travels in headers only the Worker can set: drop any the client sent.
  const headers = new Headers(c.req.raw.headers);
  for (const name of [...headers.keys()]) if (name.startsWith(INTERNAL_HEADER_PREFIX)) headers.delete(name);
  headers.set(RELAY_ID_HEADER, identity.relayId);
  headers.set(TENANT_ID_HEADER, identity.tenantId);
  const hub = c.env.RELAY_HUB.get(c.env.RELAY_HUB.idFromName(identity.relayId));
  return hub.fetch(new Request(c.req.raw, { headers }));
});

// The config API (JWT, per tenant). After the relay route: its guards are per route, so they
// never run in front of /v1/relay/connect whatever the order, but keep the link first anyway.
app.route("/v1", createApi().app);

// One error shape for the whole Worker: the config API's handler (it knows zod and Postgres errors too).
app.notFound((c) => notFound(`route ${c.req.method} ${c.req.path}`).getResponse());
app.onError(errorHandler((event, fields) => log("error", event, fields)));

/**
 * A bad token still gets a WebSocket, closed at once with 4401: the relay's
 * WebSocket client then sees a close code it can act on (stop retrying, alert)
 * instead of a generic handshake failure. No Durable Object is touched.
 */
function refuseUpgrade(): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.close(CloseCode.Unauthorized, "unauthorized");
  return new Response(null, { status: 101, webSocket: client });
}

export { CallSession } from "./call-session.js";
export { GreetingCache } from "./greeting-cache.js";
export { RelayHub } from "./relay-hub.js";
export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
