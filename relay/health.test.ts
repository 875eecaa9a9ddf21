/** The whole relay in-process (startRelay) behind /health, against the cloud stub. */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ConfigError, loadConfig, type RelayConfig } from "./config.js";
import type { HealthReport } from "./health.js";
import { startRelay, type Relay } from "./relay.js";
import { CloudStub, TEST_TOKEN } from "./testing/cloud-stub.js";
import { captureLog, waitFor } from "./testing/wait.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function start(): Promise<{ stub: CloudStub; relay: Relay; logs: ReturnType<typeof captureLog> }> {
  const stub = await CloudStub.start();
  cleanup.push(() => stub.close());
  const config = loadConfig({
    CLOUD_URL: stub.baseUrl,
    RELAY_TOKEN: TEST_TOKEN,
    AUDIO_WS_PORT: "0",
    HEALTH_PORT: "0",
    OUTBOUND_ESL_PORT: "0",
    LINK_HEARTBEAT_MS: "40",
    LINK_DEAD_AFTER_MS: "200",
    LINK_BACKOFF_MIN_MS: "5",
    LINK_BACKOFF_MAX_MS: "40",
  });
  if (config instanceof ConfigError) throw config;
  const logs = captureLog("info");
  const relay = await startRelay(config as RelayConfig, logs.log);
  cleanup.push(() => relay.stop());
  return { stub, relay, logs };
}

async function get(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
}

describe("GET /health", () => {
  it("reports ok with the link up, calls, queue and counters", async () => {
    const { relay, logs } = await start();
    const { audio, health } = relay.addresses;
    expect(audio.port).toBeGreaterThan(0);
    expect(logs.lines.find((l) => l.msg === "audio stream server listening")).toMatchObject({ host: "127.0.0.1", port: audio.port });
    expect(logs.lines.find((l) => l.msg === "health server listening")).toMatchObject({ host: "127.0.0.1", port: health.port });
    await waitFor(() => relay.link.isUp);

    const module = new WebSocket(`ws://127.0.0.1:${audio.port}/stream/6f1c2b9e-1d2a-4c3b-9e8f-0123456789ab/c0ffee00-0000-4000-8000-000000000001/100`);
    await new Promise((resolve) => module.once("open", resolve));
    cleanup.push(async () => module.terminate());
    await waitFor(() => relay.link.snapshot().calls === 1);

    const { status, body } = await get(health.port, "/health");
    expect(status).toBe(200);
    const report = body as HealthReport;
    expect(report).toMatchObject({
      status: "ok",
      link: { state: "up", relayId: "relay-test", reconnects: 0, lastError: null },
      calls: 1,
      streams: 1,
      queue: { audioFrames: 0, droppedAudioFrames: 0, controlMessages: 0 },
    });
    expect(Date.parse(String(report.link.connectedSince))).not.toBeNaN();
    expect(report.counters.link.callsStarted).toBe(1);
    expect(report.counters.audio.streamsAccepted).toBe(1);
  });

  it("reports degraded (still HTTP 200) while the link is down", async () => {
    const { stub, relay } = await start();
    await waitFor(() => relay.link.isUp);
    stub.options.welcome = false; // the cloud stops welcoming
    stub.connections[0]?.ws.terminate();
    await waitFor(() => !relay.link.isUp);
    const { status, body } = await get(relay.addresses.health.port, "/health");
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "degraded", link: { connectedSince: null } });
    expect((body as HealthReport).link.state).not.toBe("up");
  });

  it("answers 404 JSON elsewhere", async () => {
    const { relay } = await start();
    expect(await get(relay.addresses.health.port, "/status")).toEqual({ status: 404, body: { error: "not found", paths: ["/health", "/metrics"] } });
    expect((await get(relay.addresses.health.port, "/health?verbose=1")).status).toBe(200);
  });
});
