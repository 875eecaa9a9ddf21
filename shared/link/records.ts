/**
 * Record framing: every WebSocket message on the link is a sequence of
 * records, each `[magic 0x56][kind u8][body length u32 LE][body]`. Several
 * records share one message (a call.start and the first audio bundle, say),
 * which keeps the message count per second low for the Durable Object, and
 * the streaming decoder below resumes across chunk boundaries so the same
 * framing works over any byte stream.
 *
 * Unknown record kinds are skipped, not rejected: a newer peer may add kinds.
 */
import { LinkErrorCode, linkError } from "./errors.js";

export const RECORD_MAGIC = 0x56; // "V"
export const RECORD_HEADER_BYTES = 6;

/** Record kinds. Numbers are wire values: never reuse one. */
export const RecordKind = {
  Control: 1,
  AudioBundle: 2,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface LinkRecord {
  /** A known {@link RecordKind}, or any other number from a newer peer. */
  kind: number;
  body: Uint8Array;
}

/** Frames one record. */
export function encodeRecord(kind: RecordKind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + body.byteLength);
  writeRecordHeader(out, 0, kind, body.byteLength);
  out.set(body, RECORD_HEADER_BYTES);
  return out;
}

/** Concatenates already framed records into one message. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function writeRecordHeader(out: Uint8Array, at: number, kind: number, length: number): void {
  out[at] = RECORD_MAGIC;
  out[at + 1] = kind;
  new DataView(out.buffer, out.byteOffset + at + 2, 4).setUint32(0, length, true);
}

/**
 * Streaming record decoder. Feed it chunks in arrival order; it returns the
 * records completed by each chunk and keeps the partial rest. After it throws
 * (always a close-link {@link LinkProtocolError}) it is poisoned: the stream's
 * position is lost and the link must close.
 */
export class RecordDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private failed = false;

  constructor(private readonly maxRecordBytes: number) {}

  /** Bytes held waiting for the rest of a record. */
  get bufferedBytes(): number {
    return this.pending.byteLength;
  }

  push(chunk: Uint8Array): LinkRecord[] {
    if (this.failed) throw linkError(LinkErrorCode.BadMagic, "decoder already failed; the link must close");
    const buf = this.pending.byteLength === 0 ? chunk : concatBytes([this.pending, chunk]);
    const records: LinkRecord[] = [];
    let at = 0;
    try {
      while (buf.byteLength - at >= RECORD_HEADER_BYTES) {
        if (buf[at] !== RECORD_MAGIC) {
          throw linkError(LinkErrorCode.BadMagic, `expected record magic 0x56 at offset ${at}, got 0x${(buf[at] ?? 0).toString(16)}`);
        }
        const kind = buf[at + 1] ?? 0;
        const length = new DataView(buf.buffer, buf.byteOffset + at + 2, 4).getUint32(0, true);
        if (length > this.maxRecordBytes) {
          throw linkError(LinkErrorCode.RecordTooLarge, `record of ${length} bytes exceeds the limit of ${this.maxRecordBytes}`);
        }
        if (buf.byteLength - at - RECORD_HEADER_BYTES < length) break;
        const start = at + RECORD_HEADER_BYTES;
        records.push({ kind, body: buf.subarray(start, start + length) });
        at = start + length;
      }
    } catch (err) {
      this.failed = true;
      this.pending = new Uint8Array(0);
      throw err;
    }
    // Keep only the unconsumed tail; copy it so the caller's chunk can be released.
    this.pending = at === buf.byteLength ? new Uint8Array(0) : buf.slice(at);
    return records;
  }

  /** For message-oriented transports: every message must end on a record boundary. */
  assertAtBoundary(): void {
    if (this.pending.byteLength !== 0) {
      const held = this.pending.byteLength;
      this.failed = true;
      this.pending = new Uint8Array(0);
      throw linkError(LinkErrorCode.Truncated, `message ended inside a record (${held} bytes left over)`);
    }
  }
}
