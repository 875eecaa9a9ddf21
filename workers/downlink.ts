/**
 * What a CallSession hands back to the RelayHub for the relay: agent audio
 * and control messages for one call. Every session RPC returns one, so agent
 * audio rides back on the return of the upstream call and costs the hub no
 * incoming message (a Durable Object takes roughly 1,000 incoming requests
 * per second; see shared/PLATFORM.md).
 */
import {
  audioRecord,
  BUNDLE_HEADER_BYTES,
  concatBytes,
  controlRecord,
  DEFAULT_LIMITS,
  Direction,
  FRAME_HEADER_BYTES,
  type AudioFrame,
  type ControlInput,
  type ControlOf,
  type Encoding,
  type SampleRate,
} from "../shared/link/index.js";

/** One frame of agent audio. The hub fills in the slot and the direction. */
export interface DownFrame {
  /** Per call, +1 per frame, continuing across resumes. */
  seq: number;
  timestampMs: number;
  encoding: Encoding;
  sampleRate: SampleRate;
  payload: Uint8Array;
}

export interface Downlink {
  frames: DownFrame[];
  /** Sent before the frames, in order. A `call.end` here ends the call on the hub too. */
  controls: ControlInput[];
}

/** Upstream caller audio as the hub delivers it to a session (slot and direction dropped). */
export type UpFrame = DownFrame;

/** Control messages from the relay that concern a session. */
export type SessionControl = ControlOf<"dtmf"> | ControlOf<"playback.event"> | ControlOf<"command.result">;

export function emptyDownlink(): Downlink {
  return { frames: [], controls: [] };
}

export function isEmptyDownlink(d: Downlink): boolean {
  return d.frames.length === 0 && d.controls.length === 0;
}

// Half the relay's default limits, so a bundle never trips them whatever the frame size.
const MAX_FRAMES_PER_BUNDLE = DEFAULT_LIMITS.maxFramesPerBundle / 2;
const MAX_BUNDLE_BYTES = DEFAULT_LIMITS.maxRecordBytes / 2;

/**
 * One binary WebSocket message: the controls, then the frames on `slot` in as
 * few bundles as the limits allow (usually one).
 */
export function encodeDownlink(downlink: Downlink, slot: number): Uint8Array {
  const records = downlink.controls.map(controlRecord);
  let bundle: AudioFrame[] = [];
  let bytes = BUNDLE_HEADER_BYTES;
  for (const f of downlink.frames) {
    const size = FRAME_HEADER_BYTES + f.payload.byteLength;
    if (bundle.length > 0 && (bundle.length >= MAX_FRAMES_PER_BUNDLE || bytes + size > MAX_BUNDLE_BYTES)) {
      records.push(audioRecord(bundle));
      bundle = [];
      bytes = BUNDLE_HEADER_BYTES;
    }
    bundle.push({ ...f, slot, direction: Direction.Down });
    bytes += size;
  }
  if (bundle.length > 0) records.push(audioRecord(bundle));
  return concatBytes(records);
}
