/**
 * `relay doctor` against the FreeSWITCH simulator and the cloud stub (whose
 * echo plays the audio back, like the diagnostic echo secretary).
 */
import { afterEach, describe, expect, it } from "vitest";
import { runDoctor } from "../../relay/cli/doctor.js";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { rig, teardown } from "./harness.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
  await teardown();
});

async function setup(options: { password?: string; modules?: string[] } = {}) {
  const stub = await CloudStub.start({ echo: true });
  const sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0, password: options.password ?? "s3cret-pass", modules: options.modules ?? ["mod_audio_stream"] });
  stops.push(() => stub.close(), () => sim.close());
  const env = {
    CLOUD_URL: stub.baseUrl,
    RELAY_TOKEN: TEST_TOKEN,
    ESL_PORT: String(sim.eslPort),
    ESL_PASSWORD: "s3cret-pass",
    AUDIO_WS_PORT: "0",
    OUTBOUND_ESL_PORT: "0",
    HEALTH_PORT: "1", // nothing answers there: no relay running
    FALLBACK_EXTENSION: "200",
  };
  return { stub, sim, env };
}

async function doctor(env: Record<string, string>) {
  const lines: string[] = [];
  const code = await runDoctor(env, (l) => lines.push(l));
  return { code, text: lines.join("\n"), lines };
}

describe("relay doctor", () => {
  it("all good: event socket and auth, mod_audio_stream, ports, clock, link, echo round trip", async () => {
    const { env, stub } = await setup();
    const { code, text, lines } = await doctor(env);
    expect(text).toMatch(/ok {4}event socket: reached FreeSWITCH at 127\.0\.0\.1:\d+ and authenticated/);
    expect(text).toContain("ok    mod_audio_stream: loaded");
    expect(text).toContain("ok    clock: within");
    expect(text).toMatch(/ok {4}cloud link: connected to ws:\/\/127\.0\.0\.1:\d+\/v1\/relay\/connect as 'relay-test'/);
    expect(text).toMatch(/ok {4}echo round trip: 50 frames of 20 ms out, 50 back; round trip p50 [\d.]+ ms/);
    expect(lines.at(-1)).toBe("All checks passed.");
    expect(code).toBe(0);
    // The test call was announced and ended like any call.
    const conn = stub.connections[0];
    expect(conn?.controls("call.start")[0]).toMatchObject({ secretaryId: "00000000-0000-4000-8000-00000000ec40" });
    process.stdout.write(`doctor: ${lines.find((l) => l.includes("echo round trip"))?.trim()}\n`);
  });

  it("names each failure with its fix: wrong password, module missing, token refused", async () => {
    const { env } = await setup({ password: "other" });
    const wrongPassword = await doctor(env);
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.text).toContain("FAIL  event socket: FreeSWITCH at");
    expect(wrongPassword.text).toContain("fix: set ESL_PASSWORD to the password in /etc/freeswitch/autoload_configs/event_socket.conf.xml");

    const noModule = await setup({ modules: [] });
    expect((await doctor(noModule.env)).text).toContain('fix: \'fs_cli -x "load mod_audio_stream"\'');

    const badToken = await doctor({ ...env, RELAY_TOKEN: "x".repeat(40) });
    expect(badToken.text).toContain("FAIL  cloud link: no welcome");
    expect(badToken.text).toContain("fix: the cloud refused RELAY_TOKEN");
    expect(badToken.text).toContain("skip  echo round trip");
  });

  it("nothing reachable: FreeSWITCH down and the cloud down, each with its fix", async () => {
    const { env } = await setup();
    const closed = await CloudStub.start();
    const url = closed.baseUrl;
    await closed.close();
    const { code, text } = await doctor({ ...env, ESL_PORT: "1", CLOUD_URL: url, LINK_HANDSHAKE_TIMEOUT_MS: "300" });
    expect(code).toBe(1);
    expect(text).toContain("FAIL  event socket: cannot reach FreeSWITCH at 127.0.0.1:1 (ECONNREFUSED)");
    expect(text).toContain("fix: start FreeSWITCH with mod_event_socket");
    expect(text).toContain("FAIL  clock: cannot reach");
    expect(text).toContain("FAIL  cloud link");
  });

  it("a bad configuration: every problem listed, exit 78", async () => {
    const { code, text } = await doctor({ CLOUD_URL: "gopher://x", RELAY_TOKEN: "short", PLAYBACK_MODE: "loud" });
    expect(code).toBe(78);
    expect(text).toContain("PLAYBACK_MODE: expected file or stream");
    expect(text).toContain("RELAY_TOKEN");
  });

  it("with a relay running, reads its link from /health and does not open a second link", async () => {
    const r = await rig();
    const env = {
      CLOUD_URL: r.stub.baseUrl,
      RELAY_TOKEN: TEST_TOKEN,
      ESL_PORT: String(r.sim.eslPort),
      AUDIO_WS_PORT: String(r.relay.addresses.audio.port),
      OUTBOUND_ESL_PORT: String(r.relay.addresses.outbound.port),
      HEALTH_PORT: String(r.relay.addresses.health.port),
    };
    const { text } = await doctor(env);
    expect(text).toContain("ok    cloud link: the running relay is connected as 'relay-test'");
    expect(text).toContain("skip  echo round trip");
    expect(text).toContain("WARN  event socket password");
    expect(text).toMatch(/ok {4}audio stream port: something listens/);
    expect(r.stub.connections).toHaveLength(1);
  });
});
