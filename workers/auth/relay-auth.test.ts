import { describe, expect, it } from "vitest";
import type { Env } from "../env.js";
import { authenticateRelay, bearerToken, PLACEHOLDER_TENANT_ID } from "./relay-auth.js";

const good = "a-relay-token-that-is-long-enough-0123456789";
const envWith = (vars: Partial<Env>): Env => vars as Env;

describe("authenticateRelay", () => {
  it("maps the configured token to RELAY_ID", async () => {
    expect(await authenticateRelay(good, envWith({ RELAY_TOKEN: good, RELAY_ID: "pbx-7" }))).toEqual({ relayId: "pbx-7", tenantId: PLACEHOLDER_TENANT_ID });
  });

  it("refuses other, shorter, longer and missing tokens", async () => {
    const env = envWith({ RELAY_TOKEN: good, RELAY_ID: "pbx-7" });
    for (const token of ["wrong", good.slice(0, -1), `${good}x`, good.toUpperCase(), "", null, undefined]) {
      expect(await authenticateRelay(token, env)).toBeNull();
    }
  });

  it("refuses everything when RELAY_TOKEN is unset or shorter than 32 characters", async () => {
    const short = "s".repeat(31);
    expect(await authenticateRelay(short, envWith({ RELAY_TOKEN: short }))).toBeNull();
    expect(await authenticateRelay("", envWith({}))).toBeNull();
    expect(await authenticateRelay(undefined, envWith({}))).toBeNull();
  });
});

describe("bearerToken", () => {
  it("reads the token of a Bearer header, scheme case-insensitive", () => {
    expect(bearerToken(`Bearer ${good}`)).toBe(good);
    expect(bearerToken(`bearer ${good}`)).toBe(good);
  });

  it("returns null for anything else", () => {
    for (const h of [null, "", "Bearer", "Bearer ", `Basic ${good}`, `Bearer a b`]) expect(bearerToken(h)).toBeNull();
  });
});
