import { describe, expect, it } from "vitest";
import { describeClose, describeSocketError } from "./link-failures.js";

describe("link failures", () => {
  it("says the token was refused, loudly, for 4401 and for an HTTP 401/403", () => {
    for (const report of [describeClose(4401, false), describeSocketError({ message: "Unexpected server response: 401" }), describeSocketError({ message: "Unexpected server response: 403" })]) {
      expect(report).toMatchObject({ code: "LINK_UNAUTHORIZED", level: "error" });
      expect(report.msg).toMatch(/refused the relay token/);
    }
  });

  it("says the token was revoked for 4401 'revoked' (a live link closed by the cloud)", () => {
    const report = describeClose(4401, true, "revoked");
    expect(report).toMatchObject({ code: "LINK_UNAUTHORIZED", level: "error" });
    expect(report.msg).toMatch(/revoked this relay's token/);
    expect(describeClose(4401, true, "unauthorized").msg).toMatch(/refused the relay token/);
  });

  it("names other closes by code", () => {
    expect(describeClose(4409, true)).toMatchObject({ code: "CLOSE_4409", level: "warn" });
    expect(describeClose(4426, false)).toMatchObject({ code: "LINK_VERSION_UNSUPPORTED", level: "error" });
    expect(describeClose(1001, true)).toMatchObject({ code: "CLOSE_1001", level: "warn" });
    expect(describeClose(1006, true)).toMatchObject({ code: "CLOSE_1006", level: "warn" });
    // Before a welcome, 1006 follows a socket error that already said more.
    expect(describeClose(1006, false)).toMatchObject({ code: undefined, level: "debug" });
  });

  it("keeps socket error codes and HTTP statuses", () => {
    expect(describeSocketError({ message: "connect ECONNREFUSED 127.0.0.1:1", code: "ECONNREFUSED" }).code).toBe("ECONNREFUSED");
    expect(describeSocketError({ message: "Unexpected server response: 426" }).code).toBe("LINK_HTTP_426");
    expect(describeSocketError({ message: "something" }).code).toBe("LINK_SOCKET_ERROR");
  });
});
