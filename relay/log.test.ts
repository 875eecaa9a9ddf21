import { describe, expect, it } from "vitest";
import { captureLog } from "./testing/wait.js";

describe("createLogger", () => {
  it("writes JSON lines with a level label, the service and the message", () => {
    const { log, lines } = captureLog("info");
    log.info({ port: 8085 }, "audio stream server listening");
    log.debug("not at info");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "info", service: expect.stringMatching(/^voice-relay\//), port: 8085, msg: "audio stream server listening" });
    expect(Date.parse(String(lines[0]?.time))).not.toBeNaN();
  });

  it("redacts tokens and authorization headers", () => {
    const { log, raw } = captureLog("info");
    const secret = "Bearer super-secret-token-value-0123456789";
    log.info({ token: secret, relayToken: secret, headers: { authorization: secret }, req: { headers: { authorization: secret } }, config: { relayToken: secret } }, "x");
    log.child({ authorization: secret }).warn("child");
    expect(raw.join("\n")).not.toContain("super-secret");
    expect(raw[0]).toContain("[redacted]");
  });
});
