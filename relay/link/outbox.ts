/**
 * What the relay has to send on the link, in order, bounded. Pure: no
 * socket, no timer; the link client decides when to take messages.
 *
 * - Audio frames of every call queue together and leave as one bundle per
 *   message, so hundreds of calls cost tens of messages a second.
 * - Control messages keep their place in the queue: a call's `call.end`
 *   leaves after the audio that call queued before it.
 * - While the link cannot take audio (down, or its socket buffer full), each
 *   call keeps at most `maxQueuedAudioMsPerCall` of audio: the oldest goes
 *   first, and is counted. Control messages are never dropped.
 */
import {
  BUNDLE_HEADER_BYTES,
  controlRecord,
  Encoding,
  FRAME_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  type AudioFrame,
  type ControlInput,
  type LinkLimits,
  writeAudioRecord,
} from "../../shared/link/index.js";

/** `owner` is the call UUID: a slot may change hands while its old audio still waits. */
type AudioEntry = { kind: "audio"; frame: AudioFrame; owner: string | undefined; ms: number; dropped: boolean };
type ControlEntry = { kind: "control"; record: Uint8Array; type: string; callId?: string; dropped: boolean };
type Entry = AudioEntry | ControlEntry;

export interface OutboxOptions {
  /** Per call (slot), the most audio kept waiting, in ms of audio. */
  maxQueuedAudioMsPerCall: number;
}

/** Counts for /health. */
export interface OutboxStats {
  audioFrames: number;
  audioBytes: number;
  controlMessages: number;
  /** Frames dropped since start (queue full, or the call ended while the link was down). */
  droppedAudioFrames: number;
}

/** Limits that shape outgoing messages (from the cloud's welcome). */
export type SendLimits = Pick<LinkLimits, "maxRecordBytes" | "maxFramesPerBundle">;

/** The link's send queue. */
export class Outbox {
  private queue: Entry[] = [];
  private head = 0;
  private readonly bySlot = new Map<number, { entries: AudioEntry[]; ms: number }>();
  private audioFrames = 0;
  private audioBytes = 0;
  private controlMessages = 0;
  private dropped = 0;

  constructor(private readonly options: OutboxOptions) {}

  get stats(): OutboxStats {
    return {
      audioFrames: this.audioFrames,
      audioBytes: this.audioBytes,
      controlMessages: this.controlMessages,
      droppedAudioFrames: this.dropped,
    };
  }

  get isEmpty(): boolean {
    return this.audioFrames === 0 && this.controlMessages === 0;
  }

  /** Queues one frame of call `owner`; drops the oldest audio of the same slot past the budget. */
  pushAudio(frame: AudioFrame, owner?: string): void {
    const entry: AudioEntry = { kind: "audio", frame, owner, ms: frameMs(frame), dropped: false };
    this.queue.push(entry);
    this.audioFrames++;
    this.audioBytes += frame.payload.byteLength;
    let slot = this.bySlot.get(frame.slot);
    if (!slot) this.bySlot.set(frame.slot, (slot = { entries: [], ms: 0 }));
    slot.entries.push(entry);
    slot.ms += entry.ms;
    // Keep the newest frame even when it alone exceeds the budget.
    while (slot.ms > this.options.maxQueuedAudioMsPerCall && slot.entries.length > 1) {
      this.drop(slot.entries[0] as AudioEntry);
      this.dropped++;
    }
  }

  /**
   * Queues a control message. It is encoded (and so validated) now: an
   * invalid message throws TypeError here, at the caller, not later.
   */
  pushControl(message: ControlInput): void {
    this.queue.push(controlEntry(message));
    this.controlMessages++;
  }

  /** Drops every queued frame of `slot` (its call ended while the link was down). Returns how many. */
  discardAudio(slot: number): number {
    const queued = this.bySlot.get(slot);
    if (!queued) return 0;
    const n = queued.entries.length;
    for (const entry of [...queued.entries]) this.drop(entry);
    this.dropped += n;
    return n;
  }

  /**
   * Reorders the queue for a new connection, where the cloud's slot table
   * still holds the old connection's calls. In order:
   * 1. `resend` (call.end messages a dead socket may have swallowed), unless queued anyway;
   * 2. queued control of calls no longer live (their call.end frees their slot);
   * 3. `resumes`, one per live call (they replace its queued call.start/resume);
   * 4. everything else, minus audio whose call is no longer live (its slot may have a new owner).
   */
  resumeWith(resumes: readonly ControlInput[], live: ReadonlySet<string>, resend: readonly ControlInput[] = []): void {
    const ended: Entry[] = [];
    const rest: Entry[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i] as Entry;
      if (e.dropped) continue;
      if (e.kind === "audio") {
        if (e.owner === undefined || live.has(e.owner)) rest.push(e);
        else {
          this.drop(e);
          this.dropped++;
        }
      } else if (e.callId === undefined) rest.push(e);
      else if (!live.has(e.callId)) ended.push(e);
      else if (e.type === "call.start" || e.type === "call.resume") this.controlMessages--;
      else rest.push(e);
    }
    const queuedEnds = new Set(ended.flatMap((e) => (e.kind === "control" && e.type === "call.end" ? [e.callId] : [])));
    const again = resend.map(controlEntry).filter((e) => e.type === "call.end" && !queuedEnds.has(e.callId) && !live.has(e.callId ?? ""));
    const fresh = resumes.map(controlEntry);
    this.queue = [...again, ...ended, ...fresh, ...rest];
    this.head = 0;
    this.controlMessages += again.length + fresh.length;
  }

  /** True when the queued audio already fills a bundle: send now rather than at the next tick. */
  wantsEarlyFlush(limits: SendLimits): boolean {
    const estimate = RECORD_HEADER_BYTES + BUNDLE_HEADER_BYTES + this.audioFrames * FRAME_HEADER_BYTES + this.audioBytes;
    return this.audioFrames >= limits.maxFramesPerBundle || estimate >= limits.maxRecordBytes;
  }

  /**
   * Takes the next message: queued records in order, at most one full audio
   * bundle, at most `maxRecordBytes` in all (a single oversized record still
   * goes alone, so the queue always moves). Undefined when empty.
   */
  takeMessage(limits: SendLimits): Uint8Array | undefined {
    // Records in order: a control record, or a run of frames that becomes one bundle record.
    const parts: (Uint8Array | AudioFrame[])[] = [];
    let frames: AudioFrame[] | undefined;
    let size = 0;
    for (let e = this.peek(); e; e = this.peek()) {
      const empty = size === 0;
      if (e.kind === "audio") {
        const add = FRAME_HEADER_BYTES + e.frame.payload.byteLength + (frames ? 0 : RECORD_HEADER_BYTES + BUNDLE_HEADER_BYTES);
        if (!empty && ((frames?.length ?? 0) >= limits.maxFramesPerBundle || size + add > limits.maxRecordBytes)) break;
        if (!frames) parts.push((frames = []));
        frames.push(e.frame);
        size += add;
        this.consume(e);
      } else {
        if (!empty && size + e.record.byteLength > limits.maxRecordBytes) break;
        frames = undefined;
        parts.push(e.record);
        size += e.record.byteLength;
        this.consume(e);
      }
    }
    this.compact();
    if (parts.length === 0) return undefined;
    if (parts.length === 1 && parts[0] instanceof Uint8Array) return parts[0];
    // One allocation for the whole message: each payload is copied once, straight into it.
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      if (part instanceof Uint8Array) {
        out.set(part, at);
        at += part.byteLength;
      } else at = writeAudioRecord(part, out, at);
    }
    return out;
  }

  private peek(): Entry | undefined {
    while (this.head < this.queue.length) {
      const e = this.queue[this.head] as Entry;
      if (!e.dropped) return e;
      this.head++;
    }
    return undefined;
  }

  private consume(e: Entry): void {
    this.head++;
    if (e.kind === "control") {
      this.controlMessages--;
      return;
    }
    this.forgetAudio(e);
  }

  private drop(e: AudioEntry): void {
    e.dropped = true;
    this.forgetAudio(e);
  }

  // The entry is the oldest of its slot, both when sent (the queue is FIFO)
  // and when dropped (we only ever drop the oldest, or all).
  private forgetAudio(e: AudioEntry): void {
    this.audioFrames--;
    this.audioBytes -= e.frame.payload.byteLength;
    const slot = this.bySlot.get(e.frame.slot);
    if (!slot) return;
    if (slot.entries[0] === e) slot.entries.shift();
    else {
      const i = slot.entries.indexOf(e);
      if (i >= 0) slot.entries.splice(i, 1);
    }
    slot.ms -= e.ms;
    if (slot.entries.length === 0) this.bySlot.delete(e.frame.slot);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

function controlEntry(message: ControlInput): ControlEntry {
  const callId = "callId" in message && typeof message.callId === "string" ? message.callId : undefined;
  return { kind: "control", record: controlRecord(message), type: message.type, callId, dropped: false };
}

/** Duration of a frame's audio in ms (what the per-call budget counts). */
export function frameMs(frame: Pick<AudioFrame, "encoding" | "sampleRate" | "payload">): number {
  const bytesPerSample = frame.encoding === Encoding.L16 ? 2 : 1;
  return (frame.payload.byteLength / bytesPerSample / frame.sampleRate) * 1000;
}
