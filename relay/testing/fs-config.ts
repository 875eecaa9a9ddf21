/** FreeSWITCH-side settings for tests: the defaults, with short waits. */
import type { FreeswitchConfig } from "../config.js";

/** As loadConfig would give with no FreeSWITCH variables set, but waits short enough for tests. */
export function testFsConfig(overrides: Partial<FreeswitchConfig> = {}): FreeswitchConfig {
  return {
    esl: { host: "127.0.0.1", port: 8021, password: "ClueCon" },
    eslDefaultPassword: true,
    outbound: { host: "127.0.0.1", port: 0 },
    playbackMode: "file",
    linkGraceMs: 5000,
    socketWaitMs: 0,
    streamWaitMs: 1000,
    commandTimeoutMs: 1000,
    ...overrides,
  };
}
