/**
 * Many simulated mod_audio_stream calls from one process, cheap enough that
 * the relay, not the generator, is what a run measures. Each call is a real
 * WebSocket to the relay's audio server, speaking the module's protocol
 * (raw PCM16LE up, `streamAudio` JSON text down, see
 * test/sim/audio-stream-client.ts for the one-call version). One timer paces
 * every call; calls are spread over the 20 ms period the way calls that
 * started at different moments are.
 *
 * Every frame carries a tag in its first 6 bytes (call index u16, frame
 * number u32, little-endian: three samples of near-silence in real speech),
 * so an echo that comes back is matched to the frame that left, whatever was
 * lost or reordered on the way.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

export const FRAME_MS = 20;
export const TAG_BYTES = 6;

export interface CallLoadOptions {
  /** The relay's audio WebSocket port. */
  port: number;
  calls: number;
  secretaryId: string;
  /** Audio each call loops over (16 kHz PCM16); silence-like noise when absent. */
  audio?: Uint8Array;
  /** Calls opened per batch while connecting (a connection storm is not what we measure). */
  connectBatch?: number;
  /** Match what comes back to the frames sent (false: the audio is an agent's, only counted). */
  echo?: boolean;
}

/** What the run saw, since {@link CallLoad.resetStats} (or the start). */
export interface CallLoadStats {
  framesSent: number;
  framesEchoed: number;
  /** Round trips (module -> ... -> module), ms, one per echoed frame. */
  roundTrips: Float64Array;
  /** Frames whose echo came back more than once (never expected). */
  duplicates: number;
  /** Sockets the relay closed, or that failed. */
  closedByRelay: number;
  socketErrors: number;
  /** Calls that received any audio back, and how much in all (bytes of PCM). */
  callsHeard: number;
  bytesDown: number;
}

/** Frames remembered per call for matching echoes (~20 s): older echoes count as lost. */
const RING = 1024;

class LoadCall {
  ws: WebSocket | undefined;
  readonly sentAt = new Float64Array(RING);
  readonly sentFrame = new Int32Array(RING).fill(-1);
  echoed = 0;
  bytesDown = 0;
  closed = false;
  constructor(
    readonly index: number,
    readonly callId: string,
  ) {}
}

const callUuid = (n: number, run: number) =>
  `${run.toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

/** A growable Float64Array (hundreds of thousands of samples without boxing). */
export class Samples {
  private data = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
}

/** p-th percentile (0..100), nearest rank; NaN when empty. */
export function pct(values: Float64Array | readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Reads the tag of a frame. */
export function readTag(bytes: Uint8Array): { call: number; frame: number } | undefined {
  if (bytes.byteLength < TAG_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, TAG_BYTES);
  return { call: view.getUint16(0, true), frame: view.getUint32(2, true) };
}

let runs = 0;

/** N simulated calls against one relay. */
export class CallLoad {
  readonly calls: LoadCall[] = [];
  private readonly frameBytes = 640;
  private readonly audio: Uint8Array;
  private readonly roundTrips = new Samples();
  private framesSent = 0;
  private framesEchoed = 0;
  private duplicates = 0;
  private closedByRelay = 0;
  private socketErrors = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private startedAt = 0;
  private frameNo = 0;
  private readonly run = ++runs + (process.pid << 8);
  /** Optional observer of each frame as it leaves (the bench's stub uses it to time the up leg). */
  onSent: ((call: number, frame: number, at: number) => void) | undefined;

  constructor(private readonly options: CallLoadOptions) {
    this.audio = options.audio ?? noise(16000 * 2 * 2);
  }

  /** Connects every call (stream path as the dialplan builds it). Rejects if a call cannot connect. */
  async connect(): Promise<void> {
    const batch = this.options.connectBatch ?? 50;
    for (let i = 0; i < this.options.calls; i += batch) {
      const opening: Promise<void>[] = [];
      for (let j = i; j < Math.min(i + batch, this.options.calls); j++) opening.push(this.open(j));
      await Promise.all(opening);
    }
  }

  /** Starts (or, after {@link stop}, resumes) streaming: every call sends one 20 ms frame per period. */
  start(): void {
    this.running = true;
    // Frame numbers continue after a pause; the schedule starts from now.
    this.startedAt = performance.now() - this.frameNo * FRAME_MS;
    const subticks = 4;
    let sub = 0;
    const tick = () => {
      if (!this.running) return;
      const frame = this.frameNo;
      for (let i = sub; i < this.calls.length; i += subticks) this.send(this.calls[i] as LoadCall, frame);
      sub++;
      if (sub === subticks) {
        sub = 0;
        this.frameNo++;
      }
      // Absolute schedule: a late timer is caught up, not drifted.
      const due = this.startedAt + (this.frameNo * subticks + sub) * (FRAME_MS / subticks);
      this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Seconds of audio each call has sent. */
  get secondsStreamed(): number {
    return (this.frameNo * FRAME_MS) / 1000;
  }

  /** When frame `frame` of call `call` left (performance.now), if it is still remembered. */
  sentTime(call: number, frame: number): number | undefined {
    const c = this.calls[call];
    if (!c) return undefined;
    const slot = frame % RING;
    const f = c.sentFrame[slot] as number;
    return f === frame || f === -2 - frame ? c.sentAt[slot] : undefined;
  }

  /** Calls whose socket is still open. */
  get liveCalls(): number {
    return this.calls.filter((c) => !c.closed).length;
  }

  stats(): CallLoadStats {
    return {
      framesSent: this.framesSent,
      framesEchoed: this.framesEchoed,
      roundTrips: this.roundTrips.values(),
      duplicates: this.duplicates,
      closedByRelay: this.closedByRelay,
      socketErrors: this.socketErrors,
      callsHeard: this.calls.filter((c) => c.bytesDown > 0).length,
      bytesDown: this.calls.reduce((n, c) => n + c.bytesDown, 0),
    };
  }

  /** Forgets counts and samples (after a warm-up); frames in flight still count as echoed when they land. */
  resetStats(): void {
    this.framesSent = 0;
    this.framesEchoed = 0;
    this.roundTrips.clear();
    this.duplicates = 0;
  }

  /** Waits until every sent frame came back or `quietMs` passed with none arriving. */
  async drain(quietMs = 1000, timeoutMs = 15_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = this.framesEchoed;
    let lastChange = performance.now();
    while (this.framesEchoed < this.framesSent && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (this.framesEchoed !== last) {
        last = this.framesEchoed;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > quietMs) return;
    }
  }

  /** Hangs every call up (close 1000, like the module at hangup). */
  async close(): Promise<void> {
    this.stop();
    await Promise.all(
      this.calls.map(
        (c) =>
          new Promise<void>((resolve) => {
            const ws = c.ws;
            if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => (ws.terminate(), resolve()), 3000);
            ws.once("close", () => (clearTimeout(timer), resolve()));
            c.closed = true;
            ws.close(1000);
          }),
      ),
    );
  }

  private open(index: number): Promise<void> {
    const call = new LoadCall(index, callUuid(index, this.run));
    this.calls[index] = call;
    const { port, secretaryId } = this.options;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/stream/${secretaryId}/${call.callId}/5511${String(index).padStart(7, "0")}`, {
      perMessageDeflate: false,
      origin: `http://127.0.0.1:${port}`,
    });
    call.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.onText(call, data as Buffer);
    });
    ws.on("close", () => {
      if (!call.closed) this.closedByRelay++;
      call.closed = true;
    });
    return new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (err) => {
        this.socketErrors++;
        reject(err);
      });
    }).then(() => {
      ws.on("error", () => this.socketErrors++);
    });
  }

  private send(call: LoadCall, frame: number): void {
    const ws = call.ws;
    if (!ws || call.closed || ws.readyState !== WebSocket.OPEN) return;
    const { audio, frameBytes } = this;
    const frames = Math.floor(audio.byteLength / frameBytes);
    const at = ((frame + call.index * 7) % frames) * frameBytes;
    const payload = Buffer.allocUnsafe(frameBytes);
    payload.set(audio.subarray(at, at + frameBytes));
    payload.writeUInt16LE(call.index, 0);
    payload.writeUInt32LE(frame, 2);
    const now = performance.now();
    call.sentAt[frame % RING] = now;
    call.sentFrame[frame % RING] = frame;
    this.framesSent++;
    this.onSent?.(call.index, frame, now);
    ws.send(payload, { binary: true });
  }

  // streamAudio carries base64 PCM; only the tag (the first 8 base64 characters) is decoded.
  private onText(call: LoadCall, data: Buffer): void {
    const text = data.toString("latin1");
    const key = '"audioData":"';
    const i = text.indexOf(key);
    if (i < 0) return;
    const start = i + key.length;
    const end = text.indexOf('"', start);
    const b64 = text.slice(start, end);
    const now = performance.now();
    // One streamAudio may hold several frames (20 ms each in stream playback mode, more in file mode).
    const bytesTotal = Math.floor((b64.length * 3) / 4) - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
    call.bytesDown += bytesTotal;
    if (this.options.echo === false) return;
    for (let off = 0; off + this.frameBytes <= bytesTotal; off += this.frameBytes) {
      // Each frame starts at a multiple of 640 bytes = a multiple of 3 bytes only every 3 frames: decode a covering slice.
      const from = Math.floor(off / 3) * 4;
      const skip = off - (from / 4) * 3;
      const head = Buffer.from(b64.slice(from, from + 12), "base64").subarray(skip, skip + TAG_BYTES);
      const tag = readTag(head);
      if (!tag || tag.call !== call.index) continue;
      const slot = tag.frame % RING;
      if (call.sentFrame[slot] !== tag.frame) {
        // Already matched (a duplicate), or older than the ring.
        if (call.sentFrame[slot] === -2 - tag.frame) this.duplicates++;
        continue;
      }
      const sent = call.sentAt[slot] as number;
      call.sentFrame[slot] = -2 - tag.frame;
      call.echoed++;
      this.framesEchoed++;
      this.roundTrips.push(now - sent);
    }
  }
}

/** Low-level noise, so payloads are not all zeros. */
function noise(bytes: number): Uint8Array {
  const out = new Int16Array(bytes / 2);
  let x = 12345;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (x % 200) - 100;
  }
  return new Uint8Array(out.buffer);
}
