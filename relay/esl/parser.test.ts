/**
 * The event-socket parser, byte by byte: messages split anywhere, several
 * in one chunk, bodies, events, bad UTF-8 in headers (modesl's URIError),
 * and a fuzz run that may only ever end in an EslProtocolError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EslErrorCode, EslParser, EslProtocolError, parseEventPlain, percentDecodeHeader, type EslMessage } from "./parser.js";

const bytes = (s: string) => Buffer.from(s, "latin1");
const apiResponse = (text: string) => `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(text)}\n\n${text}`;
const eventPlain = (headers: string, body = "") => {
  const inner = body ? `${headers}Content-Length: ${Buffer.byteLength(body)}\n\n${body}` : `${headers}\n`;
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: text/event-plain\n\n${inner}`;
};

function feed(parser: EslParser, chunks: Uint8Array[]): EslMessage[] {
  return chunks.flatMap((c) => parser.push(c));
}

describe("EslParser", () => {
  it("reads a header-only reply and an api/response with its body", () => {
    const out = new EslParser().push(bytes(`Content-Type: command/reply\nReply-Text: +OK accepted\n\n${apiResponse("+OK Job done\n")}`));
    expect(out).toHaveLength(2);
    expect(out[0]?.headers.get("Reply-Text")).toBe("+OK accepted");
    expect(out[0]?.body).toBeUndefined();
    expect(out[1]?.headers.get("Content-Type")).toBe("api/response");
    expect(out[1]?.body?.toString()).toBe("+OK Job done\n");
  });

  it("resumes a message split at every possible byte", () => {
    const wire = bytes(`auth/request-noise: x\n\n${apiResponse("true")}${eventPlain("Event-Name: DTMF\nDTMF-Digit: 5\n")}`);
    const whole = new EslParser().push(wire);
    for (let cut = 1; cut < wire.byteLength; cut++) {
      const parts = feed(new EslParser(), [wire.subarray(0, cut), wire.subarray(cut)]);
      expect(parts.map((m) => [Object.fromEntries(m.headers), m.body?.toString()])).toEqual(whole.map((m) => [Object.fromEntries(m.headers), m.body?.toString()]));
    }
    // and one byte at a time
    const parser = new EslParser();
    expect(feed(parser, [...wire].map((b) => Uint8Array.of(b)))).toHaveLength(3);
    expect(parser.buffered).toBe(0);
  });

  it("skips blank lines between messages", () => {
    expect(new EslParser().push(bytes("\n\nContent-Type: auth/request\n\n\n"))).toHaveLength(1);
  });

  it("decodes a caller name that is not UTF-8 without throwing (modesl #59)", () => {
    const [m] = new EslParser().push(bytes("Content-Type: command/reply\nCaller-Caller-ID-Name: Jos%E9%20Concei%E7%E3o\nCaller-Caller-ID-Number: %2B5511%FF%FE\nBad-Escape: 100%ZZ%\n\n"));
    expect(m?.headers.get("Caller-Caller-ID-Name")).toBe("José Conceição");
    expect(m?.headers.get("Caller-Caller-ID-Number")).toBe("+5511ÿþ");
    expect(m?.headers.get("Bad-Escape")).toBe("100%ZZ%");
  });

  it("keeps UTF-8 when it is valid and turns lone bytes into latin1", () => {
    expect(percentDecodeHeader(bytes("S%C3%A3o%20Paulo"))).toBe("São Paulo");
    expect(percentDecodeHeader(bytes("%C3"))).toBe("Ã");
    expect(percentDecodeHeader(bytes("%"))).toBe("%");
    expect(percentDecodeHeader(bytes("%e2%82"))).toBe("â\u0082");
  });

  it("reads an event with its own body (mod_audio_stream::play)", () => {
    const body = '{"audioDataType":"raw","sampleRate":16000,"file":"/tmp/x_1.tmp.r16"}';
    const [m] = new EslParser().push(bytes(eventPlain("Event-Name: CUSTOM\nEvent-Subclass: mod_audio_stream%3A%3Aplay\nUnique-ID: abc\n", body)));
    const event = parseEventPlain(m?.body ?? Buffer.alloc(0));
    expect(event).toMatchObject({ name: "CUSTOM", subclass: "mod_audio_stream::play", body });
  });

  it.each([
    ["Content-Length: abc\n\n", EslErrorCode.BadContentLength],
    ["Content-Length: -1\n\n", EslErrorCode.BadContentLength],
    ["Content-Length: 99999999999\n\n", EslErrorCode.BadContentLength],
    ["Content-Length: 5000000\n\n", EslErrorCode.BodyTooLarge],
  ])("refuses %j with %s, and stays failed", (wire, code) => {
    const parser = new EslParser();
    expect(() => parser.push(bytes(wire))).toThrow(expect.objectContaining({ code }));
    expect(() => parser.push(bytes("Content-Type: auth/request\n\n"))).toThrow(EslProtocolError);
  });

  it("bounds a header block that never ends", () => {
    const parser = new EslParser({ maxHeaderBytes: 1024 });
    expect(() => {
      for (let i = 0; i < 100; i++) parser.push(bytes("X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"));
    }).toThrow(expect.objectContaining({ code: EslErrorCode.HeaderTooLarge }));
  });

  it("an event without Event-Name is an ESL_BAD_EVENT", () => {
    expect(() => parseEventPlain(bytes("Foo: bar\n\n"))).toThrow(expect.objectContaining({ code: EslErrorCode.BadEvent }));
  });

  it("uses a Map: header names like __proto__ cannot touch prototypes", () => {
    const [m] = new EslParser().push(bytes("__proto__: polluted\nconstructor: x\n\n"));
    expect(m?.headers.get("__proto__")).toBe("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("fuzz: 100,000 inputs end in messages or an EslProtocolError, nothing else", () => {
    const pieces = ["Content-Type: ", "api/response", "text/event-plain", "Content-Length: ", "12", "0", "\n", "\n\n", "%", "%E9", "%ZZ", "%C3%A3", "Event-Name: CUSTOM", ":", " ", "\r\n", "\u00ff", "x"];
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((p) => bytes(p.join(""))),
    );
    let runs = 0;
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 6 }), (chunks) => {
        runs++;
        const parser = new EslParser({ maxHeaderBytes: 4096, maxBodyBytes: 4096 });
        try {
          for (const m of feed(parser, chunks)) {
            if (m.headers.get("Content-Type") === "text/event-plain" && m.body) {
              try {
                parseEventPlain(m.body);
              } catch (err) {
                if (!(err instanceof EslProtocolError)) throw err;
              }
            }
          }
        } catch (err) {
          if (!(err instanceof EslProtocolError)) throw err;
        }
      }),
      { numRuns: 100_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100_000);
  });
});
