import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, type RelayConfig } from "./config.js";

const TOKEN = "s3cret-token-0123456789abcdef-0123456789";
const base = { CLOUD_URL: "https://voice.example.com", RELAY_TOKEN: TOKEN };

function ok(env: Record<string, string | undefined>): RelayConfig {
  const result = loadConfig(env);
  if (result instanceof ConfigError) throw new Error(`unexpected config error: ${result.message}`);
  return result;
}

function problems(env: Record<string, string | undefined>): string[] {
  const result = loadConfig(env);
  if (!(result instanceof ConfigError)) throw new Error("expected a config error");
  return [...result.problems];
}

describe("loadConfig", () => {
  it("fills in the defaults", () => {
    const c = ok(base);
    expect(c.linkUrl).toBe("wss://voice.example.com/v1/relay/connect");
    expect(c.relayToken).toBe(TOKEN);
    expect(c.audio).toEqual({ host: "127.0.0.1", port: 8085 });
    expect(c.health).toEqual({ host: "127.0.0.1", port: 8086 });
    expect(c.logLevel).toBe("info");
    expect(c.link).toEqual({
      heartbeatMs: 2000,
      deadAfterMs: 6000,
      backoffMinMs: 250,
      backoffMaxMs: 15000,
      handshakeTimeoutMs: 10000,
      bundleMs: 20,
      maxMessagesPerSecond: 100,
      maxQueuedAudioMs: 2000,
      maxBufferedBytes: 1024 * 1024,
    });
    expect(c.linkInsecure).toBe(false);
  });

  it("FreeSWITCH side: defaults, and ClueCon flagged as the default password", () => {
    expect(ok(base).freeswitch).toEqual({
      esl: { host: "127.0.0.1", port: 8021, password: "ClueCon" },
      eslDefaultPassword: true,
      outbound: { host: "127.0.0.1", port: 8022 },
      playbackMode: "file",
      linkGraceMs: 5000,
      fallbackExtension: undefined,
      fallbackContext: undefined,
      socketWaitMs: 1000,
      streamWaitMs: 5000,
      commandTimeoutMs: 5000,
    });
    const c = ok({ ...base, ESL_PASSWORD: "long-random-pass", PLAYBACK_MODE: "stream", FALLBACK_EXTENSION: "200", FALLBACK_CONTEXT: "pbx.example.com", LINK_GRACE_MS: "0" });
    expect(c.freeswitch).toMatchObject({ esl: { password: "long-random-pass" }, eslDefaultPassword: false, playbackMode: "stream", fallbackExtension: "200", fallbackContext: "pbx.example.com", linkGraceMs: 0 });
  });

  it("FreeSWITCH side: refuses values that could break an event-socket line, without echoing the password", () => {
    const found = problems({ ...base, ESL_PASSWORD: "pass word\napi system", PLAYBACK_MODE: "loud", FALLBACK_EXTENSION: "200 XML inline", FALLBACK_CONTEXT: "${x}", ESL_PORT: "0" });
    expect(found).toHaveLength(5);
    expect(found.join("\n")).not.toContain("pass word");
    expect(found.find((p) => p.startsWith("FALLBACK_EXTENSION"))).toContain("expected an extension");
  });

  it.each([
    ["http://127.0.0.1:8787", "ws://127.0.0.1:8787/v1/relay/connect", false],
    ["ws://localhost:8787/", "ws://localhost:8787/v1/relay/connect", false],
    ["wss://edge.example.com/tenant-a/", "wss://edge.example.com/tenant-a/v1/relay/connect", false],
    ["http://pbx-cloud.lan:8787", "ws://pbx-cloud.lan:8787/v1/relay/connect", true],
  ])("maps CLOUD_URL %s to %s", (given, expected, insecure) => {
    const c = ok({ ...base, CLOUD_URL: given });
    expect(c.linkUrl).toBe(expected);
    expect(c.linkInsecure).toBe(insecure);
  });

  it("accepts port 0 (ephemeral) and overrides", () => {
    const c = ok({ ...base, AUDIO_WS_PORT: "0", HEALTH_PORT: "0", LOG_LEVEL: "DEBUG", LINK_DEAD_AFTER_MS: "9999", AUDIO_WS_HOST: "0.0.0.0" });
    expect(c.audio).toEqual({ host: "0.0.0.0", port: 0 });
    expect(c.health.port).toBe(0);
    expect(c.logLevel).toBe("debug");
    expect(c.link.deadAfterMs).toBe(9999);
  });

  it("treats empty values as unset", () => {
    expect(ok({ ...base, AUDIO_WS_PORT: "", LOG_LEVEL: " " }).audio.port).toBe(8085);
  });

  it("lists every problem, each naming the variable, the expectation and the value", () => {
    const list = problems({
      CLOUD_URL: "ftp://x",
      RELAY_TOKEN: "short",
      AUDIO_WS_PORT: "80a",
      HEALTH_PORT: "70000",
      LOG_LEVEL: "loud",
      LINK_DEAD_AFTER_MS: "10000",
      LINK_BUNDLE_MS: "-5",
    });
    expect(list).toHaveLength(7);
    expect(list).toContain('CLOUD_URL: expected a ws, wss, http or https URL, got scheme "ftp:"');
    expect(list).toContain("RELAY_TOKEN: expected at least 32 characters without whitespace, got 5 characters");
    expect(list).toContain('AUDIO_WS_PORT: expected an integer from 0 to 65535, got "80a"');
    expect(list).toContain('HEALTH_PORT: expected an integer from 0 to 65535, got "70000"');
    expect(list.find((p) => p.startsWith("LOG_LEVEL:"))).toMatch(/expected one of .*info.*got "loud"/);
    expect(list).toContain('LINK_DEAD_AFTER_MS: expected an integer from 20 to 9999, got "10000"');
    expect(list.find((p) => p.startsWith("LINK_BUNDLE_MS:"))).toContain('got "-5"');
  });

  it("says what is missing", () => {
    const list = problems({});
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^CLOUD_URL: is required/);
    expect(list[1]).toMatch(/^RELAY_TOKEN: is required/);
  });

  it("never echoes the token, nor URL credentials", () => {
    const token = "a secret token with spaces 0123456789";
    const result = loadConfig({ CLOUD_URL: "https://user:hunter2@x.example", RELAY_TOKEN: token });
    expect(result).toBeInstanceOf(ConfigError);
    const text = (result as ConfigError).message;
    expect(text).toContain("RELAY_TOKEN: expected at least 32 characters without whitespace, got a value containing whitespace");
    expect(text).toContain("CLOUD_URL: must not contain user credentials");
    expect(text).not.toContain("secret");
    expect(text).not.toContain("hunter2");
  });

  it("rejects a URL that is not one", () => {
    expect(problems({ ...base, CLOUD_URL: "not a url" })).toEqual(['CLOUD_URL: expected a ws, wss, http or https URL, got "not a url"']);
    expect(problems({ ...base, CLOUD_URL: "https://x.example/?a=1" })[0]).toMatch(/^CLOUD_URL: expected a URL without query/);
  });

  it("checks relations between variables", () => {
    expect(problems({ ...base, LINK_HEARTBEAT_MS: "3000", LINK_DEAD_AFTER_MS: "3000", LINK_BACKOFF_MIN_MS: "20000", LINK_BACKOFF_MAX_MS: "1000" })).toEqual([
      "LINK_DEAD_AFTER_MS: expected more than LINK_HEARTBEAT_MS (3000) so a live link is not declared dead between pings, got 3000",
      "LINK_BACKOFF_MIN_MS: expected at most LINK_BACKOFF_MAX_MS (1000), got 20000",
    ]);
  });

  it("ignores unrelated variables", () => {
    expect(() => ok({ ...base, PATH: "/bin", HOME: "/root" })).not.toThrow();
  });
});
