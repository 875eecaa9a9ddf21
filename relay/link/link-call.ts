/**
 * One call as the rest of the relay sees it on the link: send its audio and
 * control, end it, and be told (through a {@link CallHandler}) what the
 * cloud wants done with it.
 */
import {
  BUNDLE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  type AudioFrame,
  type ControlInput,
  type ControlMessage,
  type LinkLimits,
} from "../../shared/link/index.js";
import type { CallEntry } from "../calls/registry.js";

/** Why a call ended, as told to its handler. */
export interface CallEnd {
  /** Short reason, e.g. the cloud's call.end reason, "cloud-error", "protocol-error". */
  reason: string;
  /** A link error code when an error ended the call. */
  code?: string;
  /** FreeSWITCH hangup cause when the cloud gave one. */
  cause?: string;
}

/** What the link tells the owner of a call. Each method is called inside a try/catch. */
export interface CallHandler {
  /** Agent audio (direction Down) for this call. The payload is a view: copy it to keep it. */
  onAudio(frame: AudioFrame): void;
  /** A control message for this call: playback.clear, playback.mark, command, dtmf, ... */
  onControl(message: ControlMessage): void;
  /** The call ended on the link side (cloud's call.end or error, or a malformed frame). Not called after {@link LinkCall.end}. */
  onEnd(end: CallEnd): void;
}

/** What a LinkCall needs from the link client (kept narrow so the call cannot reach the socket). */
export interface CallPort {
  limits(): LinkLimits;
  nextUpFrame(call: CallEntry<CallHandler>, payload: Uint8Array): AudioFrame;
  isLive(call: CallEntry<CallHandler>): boolean;
  queueAudio(frame: AudioFrame, owner: string): void;
  queueControl(message: ControlInput): void;
  endFromRelay(call: CallEntry<CallHandler>, end: { reason: string; cause?: string; code?: string }): void;
}

/** A live call on the link. Everything is a no-op once the call has ended. */
export class LinkCall {
  constructor(
    private readonly entry: CallEntry<CallHandler>,
    private readonly port: CallPort,
  ) {}

  get callId(): string {
    return this.entry.info.callId;
  }

  get slot(): number {
    return this.entry.slot;
  }

  /** False once either side ended the call. */
  get live(): boolean {
    return this.port.isLive(this.entry);
  }

  /**
   * Queues caller audio in the call's format. Frames too large for the
   * cloud's limits are split; a PCM16 payload must have even length (the
   * audio server keeps an odd byte back for the next chunk).
   */
  sendAudio(payload: Uint8Array): void {
    if (!this.live || payload.byteLength === 0) return;
    const max = maxPayload(this.port.limits());
    for (let at = 0; at < payload.byteLength; at += max) {
      this.port.queueAudio(this.port.nextUpFrame(this.entry, payload.subarray(at, Math.min(at + max, payload.byteLength))), this.callId);
    }
  }

  /** Queues a control message about this call (sent in order after its queued audio). */
  send(message: ControlInput): void {
    if (this.live) this.port.queueControl(message);
  }

  /** Ends the call from the relay's side: sends call.end and frees the slot. */
  end(reason: string, details: { cause?: string; code?: string } = {}): void {
    this.port.endFromRelay(this.entry, { reason, ...details });
  }
}

/** Largest even payload a frame may carry under `limits`. */
function maxPayload(limits: LinkLimits): number {
  const inRecord = limits.maxRecordBytes - RECORD_HEADER_BYTES - BUNDLE_HEADER_BYTES - FRAME_HEADER_BYTES;
  return Math.max(2, Math.min(limits.maxFramePayloadBytes, inRecord) & ~1);
}
