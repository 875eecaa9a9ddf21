/** Channel data from a connect reply: cleaned, bounded, allow-listed variables only. */
import { describe, expect, it } from "vitest";
import { channelInfo, clean } from "./channel.js";

const CALL = "6a0d6a52-7d7b-4bb8-9a2e-7c1f0c4c9e11";

describe("channelInfo", () => {
  it("reads the call, secretary, domain, caller, destination and context", () => {
    const info = channelInfo(
      new Map([
        ["Unique-ID", CALL.toUpperCase()],
        ["variable_VOICE_AI_SECRETARY_UUID", "5E0C0A11-0000-4000-8000-00000000EC40"],
        ["variable_domain_uuid", "d0d0d0d0-0000-4000-8000-000000000001"],
        ["variable_domain_name", "pbx.example.com"],
        ["Caller-Caller-ID-Number", "+55 11\u0007 9999"],
        ["Caller-Caller-ID-Name", "José\r\nInjected: yes"],
        ["Caller-Destination-Number", "8000"],
        ["Caller-Context", "pbx.example.com"],
        ["variable_timezone", "America/Sao_Paulo"],
        ["variable_api_hangup_hook", "system rm -rf /"],
      ]),
    );
    expect(info).toEqual({
      callId: CALL,
      secretaryId: "5e0c0a11-0000-4000-8000-00000000ec40",
      domainId: "d0d0d0d0-0000-4000-8000-000000000001",
      domainName: "pbx.example.com",
      callerNumber: "+55 11 9999",
      callerName: "JoséInjected: yes",
      destination: "8000",
      context: "pbx.example.com",
      variables: { timezone: "America/Sao_Paulo" },
    });
  });

  it("no call UUID: undefined; a bad secretary or context is left out", () => {
    expect(channelInfo(new Map([["Unique-ID", "nope"]]))).toBeUndefined();
    const info = channelInfo(new Map([["Unique-ID", CALL], ["variable_VOICE_AI_SECRETARY_UUID", "${x}"], ["Caller-Context", "a b"]]));
    expect(info?.secretaryId).toBeUndefined();
    expect(info?.context).toBeUndefined();
  });

  it("clean cuts without splitting a surrogate pair", () => {
    expect(clean("ab😀", 3)).toBe("ab");
    expect(clean(" x ", 10)).toBe("x");
  });
});
