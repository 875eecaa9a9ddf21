/**
 * Stands in for FreeSWITCH's mod_audio_stream on one call: it connects to the
 * relay's audio WebSocket the way the module does (path
 * `/stream/<secretary>/<call>/<caller>`, no subprotocol, no compression,
 * `origin: http://127.0.0.1:<port>`), sends the caller's audio as raw PCM16LE
 * binary frames paced in real time, and collects the audio the relay sends
 * back as `streamAudio` JSON text (the "stream" playback way of the forks
 * that inject audio directly).
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

export interface AudioStreamCallOptions {
  /** Port of the relay's audio WebSocket server. */
  port: number;
  host?: string;
  secretaryId: string;
  callId: string;
  callerNumber: string;
  sampleRate?: 8000 | 16000;
}

export interface ReceivedChunk {
  at: number;
  bytes: Uint8Array;
}

export class SimulatedAudioStream {
  readonly sampleRate: 8000 | 16000;
  /** Agent audio received, in order. */
  readonly received: ReceivedChunk[] = [];
  /** Send time (performance.now) of each frame, by frame index. */
  readonly sentAt: number[] = [];
  closeCode: number | undefined;
  private ws: WebSocket | undefined;
  private receivedBytes = 0;
  private waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(private readonly options: AudioStreamCallOptions) {
    this.sampleRate = options.sampleRate ?? 16000;
  }

  get url(): string {
    const { host = "127.0.0.1", port, secretaryId, callId, callerNumber } = this.options;
    return `ws://${host}:${port}/stream/${secretaryId}/${callId}/${encodeURIComponent(callerNumber)}`;
  }

  get receivedByteCount(): number {
    return this.receivedBytes;
  }

  async connect(): Promise<void> {
    const ws = new WebSocket(this.url, { perMessageDeflate: false, origin: `http://127.0.0.1:${this.options.port}` });
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return; // the module ignores binary frames sent back
      const text = data.toString();
      let msg: { type?: string; data?: { audioDataType?: string; audioData?: string } };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return;
      }
      if (msg.type !== "streamAudio" || msg.data?.audioDataType !== "raw" || typeof msg.data.audioData !== "string") return;
      const bytes = new Uint8Array(Buffer.from(msg.data.audioData, "base64"));
      this.received.push({ at: performance.now(), bytes });
      this.receivedBytes += bytes.byteLength;
      this.waiters = this.waiters.filter((w) => {
        if (this.receivedBytes < w.bytes) return true;
        w.resolve();
        return false;
      });
    });
    ws.on("close", (code) => {
      this.closeCode = code;
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
  }

  /**
   * Sends `pcm` as frames of `frameBytes`, one every `frameMs`, on a real-time
   * schedule (catching up after a late timer rather than drifting).
   */
  async stream(pcm: Uint8Array, { frameBytes = (this.sampleRate / 50) * 2, frameMs = 20, signal }: { frameBytes?: number; frameMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const ws = this.ws;
    if (!ws) throw new Error("connect() first");
    const start = performance.now();
    const frames = Math.ceil(pcm.byteLength / frameBytes);
    for (let i = 0; i < frames; i++) {
      if (signal?.aborted) return;
      const due = start + i * frameMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (ws.readyState !== WebSocket.OPEN) return;
      this.sentAt[i] = performance.now();
      ws.send(pcm.subarray(i * frameBytes, Math.min((i + 1) * frameBytes, pcm.byteLength)), { binary: true });
    }
  }

  /** Resolves when at least `bytes` of agent audio have arrived, or rejects after `timeoutMs`. */
  waitForBytes(bytes: number, timeoutMs: number): Promise<void> {
    if (this.receivedBytes >= bytes) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received ${this.receivedBytes} of ${bytes} bytes within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ bytes, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Resolves once no agent audio has arrived for `quietMs` (or rejects after `timeoutMs`). */
  async waitForQuiet(quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const last = this.received.at(-1)?.at ?? 0;
      const now = performance.now();
      if (now - last >= quietMs) return;
      if (now > deadline) throw new Error(`agent audio still arriving after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, Math.min(quietMs, 50)));
    }
  }

  /** All agent audio received, concatenated. */
  receivedAudio(): Uint8Array {
    return Buffer.concat(this.received.map((c) => c.bytes));
  }

  /**
   * Round trip of each sent frame whose echo came back: the time from sending
   * frame i to receiving the byte that completes it (echo delay included).
   */
  roundTrips(frameBytes = (this.sampleRate / 50) * 2): number[] {
    const trips: number[] = [];
    let cumulative = 0;
    let frame = 0;
    for (const chunk of this.received) {
      cumulative += chunk.bytes.byteLength;
      while ((frame + 1) * frameBytes <= cumulative && frame < this.sentAt.length) {
        const sent = this.sentAt[frame];
        if (sent !== undefined) trips.push(chunk.at - sent);
        frame++;
      }
    }
    return trips;
  }

  /** Hangs up the way the module does on stop or hangup: close code 1000. */
  async close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000);
    });
  }
}

/** p-th percentile (0..100) of `values`, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
