/**
 * The Worker's HTTP surface, through its real fetch handler. The refused
 * upgrades run first in this file, so "no Durable Object was created" is
 * checked against a namespace nothing else in the file has touched yet.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONNECT_URL, hello, TestRelay } from "./relay-link.js";

describe("HTTP routes", () => {
  it("GET /health says ok, the service and the link protocol version", async () => {
    const res = await exports.default.fetch("http://cloud.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", service: "voice-ai-secretary", protocolVersion: 1 });
  });

  it("unknown routes get a JSON 404 in the one error shape", async () => {
    const res = await exports.default.fetch("http://cloud.test/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("NOT_FOUND");
    expect(typeof body.error.message).toBe("string");
  });

  it("/v1/relay/connect without an upgrade is a JSON 426", async () => {
    const res = await exports.default.fetch(CONNECT_URL, { headers: { Authorization: `Bearer ${env.RELAY_TOKEN}` } });
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: "UPGRADE_REQUIRED" } });
  });
});

describe("refused relay upgrades", () => {
  it.each([
    ["a wrong token", { token: "x".repeat(40) }],
    ["no Authorization header", { token: null }],
    ["a right token with the wrong scheme", { token: null, headers: { Authorization: `Basic ${env.RELAY_TOKEN}` } }],
    ["a prefix of the token", { token: env.RELAY_TOKEN?.slice(0, -1) }],
  ])("%s: 101, then closed at once with 4401 unauthorized", async (_label, options) => {
    const relay = await TestRelay.connect(options);
    const closed = await relay.waitForClose();
    expect(closed).toEqual({ code: 4401, reason: "unauthorized" });
  });

  it("a refused relay never gets a welcome, even if it says hello", async () => {
    const relay = await TestRelay.connect({ token: "y".repeat(40) });
    try {
      relay.send([hello()]);
    } catch {
      // The socket may already be closing; that is the point.
    }
    expect((await relay.waitForClose()).code).toBe(4401);
    expect(relay.controls()).toEqual([]);
  });

  it("no Durable Object was created by any refused upgrade", async () => {
    expect(await listDurableObjectIds(env.RELAY_HUB)).toEqual([]);
    expect(await listDurableObjectIds(env.CALL_SESSION)).toEqual([]);
  });
});

describe("accepted relay upgrade", () => {
  it("routes to the hub named by the token's relay id, whatever identity headers the client sends", async () => {
    const relay = await TestRelay.connect({ headers: { "X-Internal-Relay-Id": "someone-else", "x-internal-tenant-id": "evil" } });
    relay.send([hello()]);
    const welcome = await relay.waitForControl("welcome");
    expect(welcome.relayId).toBe(env.RELAY_ID);
    const ids = await listDurableObjectIds(env.RELAY_HUB);
    expect(ids.map((id) => id.toString())).toEqual([env.RELAY_HUB.idFromName(env.RELAY_ID ?? "").toString()]);
    relay.close();
  });
});
