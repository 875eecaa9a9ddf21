import { describe, it, expect } from "vitest";
import { Consequence, isLinkErrorCode, linkError, LinkErrorCode, LinkProtocolError } from "./errors.js";

describe("link error codes", () => {
  it("recognises every stable code", () => {
    for (const code of Object.values(LinkErrorCode)) expect(isLinkErrorCode(code)).toBe(true);
  });

  it("rejects anything else", () => {
    for (const value of ["", "BadMagic", "link_bad_magic", "LINK_BAD_MAGIC ", "LINK_", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      expect(isLinkErrorCode(value)).toBe(false);
    }
  });

  it("keeps codes unique, prefixed and upper snake case", () => {
    const codes = Object.values(LinkErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^LINK_[A-Z0-9_]+$/);
  });

  it("builds close-link errors with linkError", () => {
    const err = linkError(LinkErrorCode.Truncated, "detail");
    expect(err).toBeInstanceOf(LinkProtocolError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("LinkProtocolError");
    expect(err.code).toBe(LinkErrorCode.Truncated);
    expect(err.consequence).toBe(Consequence.CloseLink);
    expect(err.slot).toBeUndefined();
    expect(err.callId).toBeUndefined();
  });
});
