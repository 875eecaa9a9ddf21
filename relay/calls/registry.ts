/**
 * The calls this relay has open on the link: call UUID ↔ slot, what the
 * cloud is told about each call in call.start / call.resume, and each call's
 * upstream frame counters. Pure: no sockets, no timers.
 *
 * Slots are small numbers frames carry instead of a 36-byte UUID. A call
 * gets the lowest free slot and keeps it for life (also across reconnects:
 * call.resume names the same slot), and no two live calls ever share one.
 */
import { Direction, Encoding, MAX_SLOT, type AudioFormat, type AudioFrame, type ControlInput } from "../../shared/link/index.js";

/** What call.start and call.resume say about a call (everything but the slot). */
export interface CallInfo {
  callId: string;
  secretaryId?: string;
  domainId?: string;
  domainName?: string;
  caller: { number: string; name?: string };
  destination?: string;
  audio: AudioFormat;
  variables?: Record<string, string>;
}

/** One live call. `handler` is whatever the owner attaches (the link client's callbacks). */
export interface CallEntry<H> {
  readonly info: Readonly<CallInfo>;
  readonly slot: number;
  readonly handler: H;
  /** Next upstream frame's seq. */
  upSeq: number;
  /** Samples sent upstream so far (the frames' clock). */
  upSamples: number;
}

export type AddCallResult<H> = { ok: true; call: CallEntry<H> } | { ok: false; reason: "duplicate" | "full" };

/** Live calls by UUID and by slot. */
export class CallRegistry<H> {
  private readonly byId = new Map<string, CallEntry<H>>();
  private readonly bySlot = new Map<number, CallEntry<H>>();

  /** @param slotCount how many slots exist (0..slotCount-1); the protocol allows 65536. */
  constructor(private readonly slotCount = MAX_SLOT + 1) {}

  get size(): number {
    return this.byId.size;
  }

  /** Registers a call on the lowest free slot; refuses a UUID already live or a full table. */
  add(info: CallInfo, handler: H): AddCallResult<H> {
    if (this.byId.has(info.callId)) return { ok: false, reason: "duplicate" };
    const slot = this.lowestFreeSlot();
    if (slot === undefined) return { ok: false, reason: "full" };
    const call: CallEntry<H> = { info: { ...info }, slot, handler, upSeq: 0, upSamples: 0 };
    this.byId.set(info.callId, call);
    this.bySlot.set(slot, call);
    return { ok: true, call };
  }

  get(callId: string): CallEntry<H> | undefined {
    return this.byId.get(callId);
  }

  atSlot(slot: number): CallEntry<H> | undefined {
    return this.bySlot.get(slot);
  }

  /** Removes a call and frees its slot; returns it, or undefined when it was not live. */
  remove(callId: string): CallEntry<H> | undefined {
    const call = this.byId.get(callId);
    if (!call) return undefined;
    this.byId.delete(callId);
    this.bySlot.delete(call.slot);
    return call;
  }

  /** Live calls, in the order they started. */
  list(): CallEntry<H>[] {
    return [...this.byId.values()];
  }

  /** The next upstream frame of `call` carrying `payload`; advances seq and the sample clock. */
  nextUpFrame(call: CallEntry<H>, payload: Uint8Array): AudioFrame {
    const { encoding, sampleRate } = call.info.audio;
    const frame: AudioFrame = {
      slot: call.slot,
      direction: Direction.Up,
      encoding: Encoding[encoding],
      sampleRate,
      seq: call.upSeq,
      // From samples, not the wall clock: the cloud sees the audio's own time.
      timestampMs: Math.floor((call.upSamples * 1000) / sampleRate) % 2 ** 32,
      payload,
    };
    call.upSeq = (call.upSeq + 1) >>> 0;
    call.upSamples += encoding === "L16" ? payload.byteLength >> 1 : payload.byteLength;
    return frame;
  }

  private lowestFreeSlot(): number | undefined {
    // Linear in the live calls: calls start a few times a second at most.
    for (let slot = 0; slot < this.slotCount; slot++) if (!this.bySlot.has(slot)) return slot;
    return undefined;
  }
}

/** The call.start (or, after a reconnect, call.resume) message announcing `call`. */
export function announceCall(call: CallEntry<unknown>, type: "call.start" | "call.resume"): ControlInput {
  const { info } = call;
  // Optional fields left undefined vanish in the JSON.
  return {
    type,
    callId: info.callId,
    slot: call.slot,
    secretaryId: info.secretaryId,
    domainId: info.domainId,
    domainName: info.domainName,
    caller: { ...info.caller },
    destination: info.destination,
    audio: { ...info.audio },
    variables: info.variables && { ...info.variables },
  };
}
