/**
 * The event socket's wire format, parsed without a socket: header blocks
 * ending in a blank line, then `Content-Length` bytes of body when the
 * headers say so. Feed it chunks as TCP delivers them; it resumes across
 * any split and returns every complete message.
 *
 * Why our own and not modesl (shared/FREESWITCH.md): modesl decodes header
 * values with `decodeURIComponent`, which throws `URIError` on a caller name
 * that is not UTF-8 and can take the process down. Here percent-decoding
 * never throws ({@link percentDecodeHeader}), and every malformed input ends
 * in an {@link EslProtocolError} with a stable code that the connection
 * turns into a close, never an exception out of an event handler.
 */

/** Headers of one message or event, names as FreeSWITCH spells them. A Map: no prototype keys. */
export type EslHeaders = Map<string, string>;

/** One message off the wire. */
export interface EslMessage {
  /** Percent-decoded header values. */
  headers: EslHeaders;
  /** The bytes after the headers (api/response text, an event, a disconnect notice). */
  body?: Buffer;
}

/** A CUSTOM or channel event, from a `text/event-plain` body. */
export interface EslEvent {
  name: string;
  subclass?: string;
  headers: EslHeaders;
  /** The event's own body (mod_audio_stream's JSON, a BACKGROUND_JOB result). */
  body?: string;
}

/** Stable codes of the wire errors; the connection decides what they cost. */
export const EslErrorCode = {
  HeaderTooLarge: "ESL_HEADER_TOO_LARGE",
  BodyTooLarge: "ESL_BODY_TOO_LARGE",
  BadContentLength: "ESL_BAD_CONTENT_LENGTH",
  BadEvent: "ESL_BAD_EVENT",
} as const;
export type EslErrorCode = (typeof EslErrorCode)[keyof typeof EslErrorCode];

/** A malformed byte stream. The parser is unusable after it; close the socket. */
export class EslProtocolError extends Error {
  override readonly name = "EslProtocolError";
  constructor(
    readonly code: EslErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface EslParserOptions {
  /** Largest header block (FreeSWITCH's connect reply is ~10 KiB). */
  maxHeaderBytes?: number;
  /** Largest body (events with full channel data are tens of KiB). */
  maxBodyBytes?: number;
}

const LF = 0x0a;
const DEFAULT_MAX_HEADER_BYTES = 256 * 1024;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/** Incremental parser: explicit state, returns early when bytes are short. */
export class EslParser {
  private pending: Buffer = Buffer.alloc(0);
  /** Where the search for the blank line resumes (bytes already scanned). */
  private scanned = 0;
  /** Headers waiting for their body. */
  private waiting: { headers: EslHeaders; length: number } | undefined;
  private failed: EslProtocolError | undefined;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;

  constructor(options: EslParserOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.pending.byteLength;
  }

  /** Parses what `chunk` completes. Throws {@link EslProtocolError}, and again on every later call. */
  push(chunk: Uint8Array): EslMessage[] {
    if (this.failed) throw this.failed;
    this.pending = this.pending.byteLength === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const out: EslMessage[] = [];
    try {
      for (let message = this.next(); message; message = this.next()) out.push(message);
    } catch (err) {
      if (err instanceof EslProtocolError) this.failed = err;
      throw err;
    }
    return out;
  }

  private next(): EslMessage | undefined {
    if (this.waiting) {
      const { headers, length } = this.waiting;
      if (this.pending.byteLength < length) return undefined;
      const body = Buffer.from(this.pending.subarray(0, length));
      this.consume(length);
      this.waiting = undefined;
      return { headers, body };
    }
    // FreeSWITCH sends blank lines between some messages: skip them.
    let start = 0;
    while (start < this.pending.byteLength && this.pending[start] === LF) start++;
    if (start > 0) this.consume(start);
    const end = findBlankLine(this.pending, this.scanned);
    if (end < 0) {
      if (this.pending.byteLength > this.maxHeaderBytes) {
        throw new EslProtocolError(EslErrorCode.HeaderTooLarge, `header block over ${this.maxHeaderBytes} bytes`);
      }
      this.scanned = Math.max(0, this.pending.byteLength - 1);
      return undefined;
    }
    if (end > this.maxHeaderBytes) throw new EslProtocolError(EslErrorCode.HeaderTooLarge, `header block over ${this.maxHeaderBytes} bytes`);
    const headers = parseHeaderLines(this.pending.subarray(0, end));
    this.consume(end + 2);
    const rawLength = headers.get("Content-Length");
    if (rawLength === undefined) return { headers };
    const length = /^\d{1,10}$/.test(rawLength.trim()) ? Number(rawLength.trim()) : NaN;
    if (!Number.isSafeInteger(length)) throw new EslProtocolError(EslErrorCode.BadContentLength, "Content-Length is not a number");
    if (length > this.maxBodyBytes) throw new EslProtocolError(EslErrorCode.BodyTooLarge, `body of ${length} bytes over ${this.maxBodyBytes}`);
    this.waiting = { headers, length };
    return this.next();
  }

  private consume(n: number): void {
    this.pending = this.pending.subarray(n);
    this.scanned = 0;
  }
}

/** Index of the first "\n\n" at or after `from`, or -1. */
function findBlankLine(bytes: Buffer, from: number): number {
  for (let i = bytes.indexOf(LF, from); i >= 0 && i + 1 < bytes.byteLength; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] === LF) return i;
  }
  return -1;
}

/**
 * `Name: value` lines (values percent-decoded). A line without a colon is
 * skipped rather than fatal: nothing after it depends on it.
 */
export function parseHeaderLines(block: Uint8Array): EslHeaders {
  const headers: EslHeaders = new Map();
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  let at = 0;
  while (at < bytes.byteLength) {
    let end = bytes.indexOf(LF, at);
    if (end < 0) end = bytes.byteLength;
    const line = bytes.subarray(at, end);
    at = end + 1;
    const colon = line.indexOf(0x3a);
    if (colon <= 0) continue;
    const name = line.subarray(0, colon).toString("latin1").trim();
    let valueStart = colon + 1;
    if (line[valueStart] === 0x20) valueStart++;
    let valueEnd = line.byteLength;
    if (line[valueEnd - 1] === 0x0d) valueEnd--; // tolerate CRLF
    headers.set(name, percentDecodeHeader(line.subarray(valueStart, valueEnd)));
  }
  return headers;
}

/**
 * Percent-decodes a header value's bytes and never throws: a bad escape
 * stays as written; the result is read as UTF-8, and when that is not valid
 * (a trunk's ISO-8859-1 caller name) as latin1, which maps every byte to a
 * character, so `Jos%E9` reads `José` instead of killing the process.
 */
export function percentDecodeHeader(raw: Uint8Array): string {
  const out = Buffer.allocUnsafe(raw.byteLength);
  let n = 0;
  for (let i = 0; i < raw.byteLength; i++) {
    const c = raw[i] as number;
    if (c === 0x25 && i + 2 < raw.byteLength && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      out[n++] = (hexValue(raw[i + 1] as number) << 4) | hexValue(raw[i + 2] as number);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  const bytes = out.subarray(0, n);
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return bytes.toString("latin1");
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/**
 * Reads a `text/event-plain` body: event headers, a blank line, then the
 * event's own body when it has a Content-Length. Throws
 * {@link EslProtocolError} (ESL_BAD_EVENT) when it has no Event-Name.
 */
export function parseEventPlain(body: Uint8Array): EslEvent {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let end = findBlankLine(bytes, 0);
  if (end < 0) end = bytes.byteLength;
  const headers = parseHeaderLines(bytes.subarray(0, end));
  const name = headers.get("Event-Name");
  if (!name) throw new EslProtocolError(EslErrorCode.BadEvent, "event without Event-Name");
  const event: EslEvent = { name, headers };
  const subclass = headers.get("Event-Subclass");
  if (subclass !== undefined) event.subclass = subclass;
  const length = Number(headers.get("Content-Length") ?? "0");
  if (Number.isSafeInteger(length) && length > 0 && end + 2 <= bytes.byteLength) {
    event.body = bytes.subarray(end + 2, end + 2 + length).toString("utf8");
  }
  return event;
}

/** The Content-Type of a message (`api/response`, `text/event-plain`, ...). */
export function contentType(message: EslMessage): string {
  return message.headers.get("Content-Type") ?? "";
}
