import { describe, expect, it } from "vitest";
import { MAX_CALLER_LENGTH, cleanCallerNumber, parseStreamPath, percentDecode } from "./stream-path.js";

const SEC = "6f1c2b9e-1d2a-4c3b-9e8f-0123456789ab";
const CALL = "A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF";

describe("parseStreamPath", () => {
  it("reads the current form", () => {
    expect(parseStreamPath(`/stream/${SEC}/${CALL}/%2B5511999990000`)).toEqual({
      ok: true,
      target: { callId: CALL.toLowerCase(), secretaryId: SEC, callerNumber: "+5511999990000", sampleRate: 16000 },
    });
  });

  it("reads the older form (domain, no caller)", () => {
    expect(parseStreamPath(`/stream/${SEC}/${CALL}?rate=8000`)).toEqual({
      ok: true,
      target: { callId: CALL.toLowerCase(), domainId: SEC, callerNumber: "", sampleRate: 8000 },
    });
  });

  it.each([
    ["", 16000],
    ["?rate=16000", 16000],
    ["?rate=8000", 8000],
    ["?foo=1&rate=8k", 8000],
    ["?rate=", 16000],
  ])("reads the rate from %j", (query, rate) => {
    const r = parseStreamPath(`/stream/${SEC}/${CALL}/100${query}`);
    expect(r.ok && r.target.sampleRate).toBe(rate);
  });

  it.each([
    ["/", 404],
    ["", 404],
    ["/stream", 404],
    [`/stream/${SEC}`, 404],
    [`/other/${SEC}/${CALL}/1`, 404],
    [`//stream/${SEC}/${CALL}`, 404],
    [`stream/${SEC}/${CALL}`, 404],
    [`/stream/not-a-uuid/${CALL}/1`, 400],
    [`/stream/${SEC}/${CALL.slice(0, -1)}/1`, 400],
    [`/stream/${SEC}/${CALL}x/1`, 400],
    [`/stream/${SEC}/%41${CALL.slice(1)}/1`, 400],
    [`/stream/${SEC}/${CALL}/1?rate=44100`, 400],
    [`/stream/${SEC}/${CALL}/1?rate=16000abc`, 400],
    [`/stream/../../etc/passwd`, 400],
  ])("rejects %j with %i", (path, status) => {
    const r = parseStreamPath(path);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.status).toBe(status);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ["%2B55%2011%209999", "+55 11 9999"],
    ["+5511", "+5511"],
    ["100%", "100%"],
    ["%zz%4", "%zz%4"],
    ["%E0%A4%A", "\uFFFD%A"],
    ["%FF%FE", "\uFFFD\uFFFD"],
    ["Jo%C3%A3o", "João"],
    ["a%00b%0D%0Ac%1B[31m%7F", "abc[31m"],
    ["%C2%85x%E2%80%A8y", "xy"],
    ["  %20 12 %09", "12"],
    ["a/b/c", "a/b/c"],
    ["", ""],
    ["anonymous", "anonymous"],
  ])("cleans the caller number %j", (raw, expected) => {
    expect(cleanCallerNumber(raw)).toBe(expected);
    const r = parseStreamPath(`/stream/${SEC}/${CALL}/${raw}`);
    expect(r.ok && r.target.callerNumber).toBe(expected);
  });

  it("bounds the caller number without splitting a character", () => {
    expect(cleanCallerNumber("9".repeat(500))).toHaveLength(MAX_CALLER_LENGTH);
    const emoji = "1".repeat(63) + "😀😀";
    const cut = cleanCallerNumber(emoji);
    expect(cut).toBe("1".repeat(63));
    expect(() => encodeURIComponent(cut)).not.toThrow();
  });

  it("never throws, whatever the URL", () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    const alphabet = ["%", "/", "?", "#", "=", "&", "+", "%E2", "%80", "%%", "\u0000", "\uD800", "😀", "a", "0", SEC, CALL, "stream"];
    for (let i = 0; i < 3000; i++) {
      let tail = "";
      for (let j = rand(12); j > 0; j--) tail += alphabet[rand(alphabet.length)];
      const url = i % 2 ? `/stream/${SEC}/${CALL}/${tail}` : `/${tail}`;
      const r = parseStreamPath(url);
      if (r.ok) {
        expect(r.target.callerNumber.length).toBeLessThanOrEqual(MAX_CALLER_LENGTH);
        // eslint-disable-next-line no-control-regex
        expect(r.target.callerNumber).not.toMatch(/[\u0000-\u001f\u007f]/);
      }
    }
  });

  it("decodes percent escapes like decodeURIComponent when they are valid", () => {
    for (const s of ["+55 11", "ç/ã", "😀", "%", "a+b"]) expect(percentDecode(encodeURIComponent(s))).toBe(s);
  });
});
