import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { lastFour, masterKeyRing, open, seal, SecretBoxError, sealedKeyId } from "../../workers/crypto/secret-box.js";
import { generateRelayToken, hashRelayToken } from "../../workers/crypto/relay-token.js";

const key = () => randomBytes(32).toString("base64");
const place = { tenantId: "t1", table: "ai_providers", column: "apiKeyCiphertext", rowId: "r1" };

describe("secrets at rest (AES-256-GCM)", () => {
  it("round-trips, with a fresh IV each time", async () => {
    const ring = await masterKeyRing(key());
    const a = await seal(ring, place, "sk-live-0123456789abcdef");
    const b = await seal(ring, place, "sk-live-0123456789abcdef");
    expect(a).not.toBe(b);
    expect(a).not.toContain("0123456789abcdef");
    expect(await open(ring, place, a)).toBe("sk-live-0123456789abcdef");
  });

  it("does not open in another place (tenant, row or column)", async () => {
    const ring = await masterKeyRing(key());
    const sealed = await seal(ring, place, "secret-value-123");
    for (const other of [{ ...place, tenantId: "t2" }, { ...place, rowId: "r2" }, { ...place, column: "x" }]) {
      await expect(open(ring, other, sealed)).rejects.toMatchObject({ code: "decrypt_failed" });
    }
  });

  it("refuses tampered values and unknown keys", async () => {
    const ring = await masterKeyRing(key());
    const sealed = await seal(ring, place, "secret-value-123");
    const parts = sealed.split(".");
    const flipped = parts[3]!.startsWith("A") ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    await expect(open(ring, place, [...parts.slice(0, 3), flipped].join("."))).rejects.toBeInstanceOf(SecretBoxError);
    const otherRing = await masterKeyRing(key());
    await expect(open(otherRing, place, sealed)).rejects.toMatchObject({ code: "unknown_key_id" });
    await expect(open(ring, place, "plaintext")).rejects.toMatchObject({ code: "sealed_value_invalid" });
  });

  it("rotates: the previous key still opens, the current one seals", async () => {
    const oldKey = key();
    const newKey = key();
    const before = await masterKeyRing(oldKey);
    const sealed = await seal(before, place, "secret-value-123");
    const after = await masterKeyRing(newKey, [oldKey]);
    expect(await open(after, place, sealed)).toBe("secret-value-123");
    const resealed = await seal(after, place, "secret-value-123");
    expect(sealedKeyId(resealed)).toBe(after.current.id);
    expect(sealedKeyId(resealed)).not.toBe(sealedKeyId(sealed));
  });

  it("refuses master keys that are not 32 bytes of base64", async () => {
    await expect(masterKeyRing(randomBytes(16).toString("base64"))).rejects.toMatchObject({ code: "master_key_invalid" });
    await expect(masterKeyRing("not base64 !!")).rejects.toMatchObject({ code: "master_key_invalid" });
  });

  it("shows at most the last four characters, and only of long secrets", () => {
    expect(lastFour("sk-0123456789abcdef")).toBe("cdef");
    expect(lastFour("short-secret")).toBeNull();
  });

  it("issues relay tokens with 256 bits and hashes them", async () => {
    const t = generateRelayToken();
    expect(t).toMatch(/^rly_[A-Za-z0-9_-]{43}$/);
    expect(await hashRelayToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateRelayToken()).not.toBe(t);
  });
});
