/**
 * The link codec: bytes to typed items and back, for both sides. No I/O.
 *
 * Decoding returns, in wire order, control messages, audio frames and
 * per-call errors; link-level corruption throws a close-link
 * {@link LinkProtocolError} and nothing else ever escapes.
 */
import { bundleSize, decodeBundle, writeBundle, type AudioFrame } from "./audio-frames.js";
import { decodeControl, encodeControl, type ControlInput, type ControlMessage } from "./control.js";
import { Consequence, LinkErrorCode, LinkProtocolError, linkError } from "./errors.js";
import { resolveLimits, type LinkLimits } from "./limits.js";
import { concatBytes, encodeRecord, RECORD_HEADER_BYTES, RecordDecoder, RecordKind, writeRecordHeader } from "./records.js";

export type LinkItem =
  | { kind: "control"; message: ControlMessage }
  | { kind: "audio"; frame: AudioFrame }
  /** A problem confined to one call (consequence end-call). */
  | { kind: "error"; error: LinkProtocolError }
  /** A record or message type from a newer peer, skipped. */
  | { kind: "ignored"; what: string };

export class LinkDecoder {
  readonly limits: LinkLimits;
  private readonly records: RecordDecoder;
  private failure: LinkProtocolError | undefined;

  constructor(limits: Partial<LinkLimits> = {}) {
    this.limits = resolveLimits(limits);
    this.records = new RecordDecoder(this.limits.maxRecordBytes);
  }

  /**
   * Decodes a chunk of a byte stream; a record may span chunks. After it
   * throws, every later call throws too: a close-link error ends the link.
   */
  push(chunk: Uint8Array): LinkItem[] {
    return this.failing(() => {
      const items: LinkItem[] = [];
      for (const record of this.records.push(chunk)) this.decodeRecord(record.kind, record.body, items);
      return items;
    });
  }

  /** Decodes one whole WebSocket message: it must end on a record boundary. */
  decodeMessage(message: Uint8Array): LinkItem[] {
    const items = this.push(message);
    this.failing(() => this.records.assertAtBoundary());
    return items;
  }

  // A close-link error in a record body (a malformed bundle, say) leaves the
  // record framing intact, so without this the next chunk would decode as if
  // nothing had happened.
  private failing<T>(run: () => T): T {
    if (this.failure) throw linkError(this.failure.code, "decoder already failed; the link must close");
    try {
      return run();
    } catch (err) {
      if (err instanceof LinkProtocolError) this.failure = err;
      throw err;
    }
  }

  private decodeRecord(kind: number, body: Uint8Array, items: LinkItem[]): void {
    try {
      if (kind === RecordKind.Control) {
        const message = decodeControl(body, this.limits.maxControlBytes);
        items.push(message ? { kind: "control", message } : { kind: "ignored", what: "control message of unknown type" });
      } else if (kind === RecordKind.AudioBundle) {
        const { frames, errors } = decodeBundle(body, this.limits);
        for (const frame of frames) items.push({ kind: "audio", frame });
        for (const error of errors) items.push({ kind: "error", error });
      } else {
        items.push({ kind: "ignored", what: `record kind ${kind}` });
      }
    } catch (err) {
      if (err instanceof LinkProtocolError && err.consequence === Consequence.EndCall) {
        items.push({ kind: "error", error: err });
        return;
      }
      if (err instanceof LinkProtocolError) throw err;
      // Nothing else should be thrown by pure decoding; if it is, it is still the link's problem.
      throw linkError(LinkErrorCode.Internal, `decoder fault: ${String(err)}`);
    }
  }
}

/** One outgoing WebSocket message: control messages first, in order, then one bundle of frames. */
export function encodeLinkMessage(controls: readonly ControlInput[], frames: readonly AudioFrame[] = []): Uint8Array {
  const parts: Uint8Array[] = controls.map((c) => encodeRecord(RecordKind.Control, encodeControl(c)));
  if (frames.length > 0) parts.push(audioRecord(frames));
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
}

/** Frames one control message as a record (for callers that batch records themselves). */
export function controlRecord(message: ControlInput): Uint8Array {
  return encodeRecord(RecordKind.Control, encodeControl(message));
}

/** Frames a bundle as a record (one allocation, each payload copied once). */
export function audioRecord(frames: readonly AudioFrame[]): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + bundleSize(frames));
  writeAudioRecord(frames, out, 0);
  return out;
}

/** Writes a bundle record of `frames` into `out` at `at` ({@link RECORD_HEADER_BYTES} + {@link bundleSize} bytes); returns the offset after it. */
export function writeAudioRecord(frames: readonly AudioFrame[], out: Uint8Array, at: number): number {
  const end = writeBundle(frames, out, at + RECORD_HEADER_BYTES);
  writeRecordHeader(out, at, RecordKind.AudioBundle, end - at - RECORD_HEADER_BYTES);
  return end;
}
