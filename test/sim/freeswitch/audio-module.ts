/**
 * mod_audio_stream (community edition) on one call: it connects to the
 * relay's WebSocket with `/stream/<secretary>/<call>/<caller>`, sends the
 * caller's audio as raw PCM16LE binary frames (640 bytes every 20 ms, or
 * 1920 every 60 ms with STREAM_BUFFER_SIZE=60 on a 30 ms trunk), ignores
 * binary frames sent back, and for each `streamAudio` text writes a file
 * `<tmp>/<uuid>_<n>.tmp.r16` and fires `mod_audio_stream::play`. It never
 * plays anything itself. `stop` (or hangup) closes with 1000 and deletes the files.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

export interface ModuleOptions {
  port: number;
  path: string;
  tmpDir: string;
  callId: string;
  /** Fires a CUSTOM event (`mod_audio_stream::<name>`) with a JSON body. */
  fire(subclass: string, body: string): void;
}

/** One call's module instance. */
export class AudioModule {
  ws: WebSocket | undefined;
  readonly files: string[] = [];
  /** Text messages received that were not streamAudio (they would become ::json events). */
  readonly otherTexts: string[] = [];
  binaryIgnored = 0;
  closeCode: number | undefined;
  private n = 0;
  private stopped = false;
  /** The server closed the stream: a new start fails until `stop` (shared/FREESWITCH.md). */
  private closedByServer = false;

  constructor(private readonly options: ModuleOptions) {
    mkdirSync(options.tmpDir, { recursive: true });
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** `uuid_audio_stream <uuid> start ...`: resolves true once connected, false on error (::error fired). */
  start(): Promise<boolean> {
    if (this.closedByServer) {
      this.options.fire("mod_audio_stream::error", JSON.stringify({ status: "error", message: { code: 1, error: "stream already exists: stop it first" } }));
      return Promise.resolve(false);
    }
    this.stopped = false;
    const { port, path } = this.options;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, origin: `http://127.0.0.1:${port}` });
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        this.binaryIgnored++;
        return;
      }
      this.onText(data.toString());
    });
    ws.on("close", (code) => {
      this.closeCode = code;
      // The server closed it: the module says so and does not reconnect.
      if (!this.stopped) {
        this.closedByServer = true;
        this.options.fire("mod_audio_stream::disconnect", JSON.stringify({ status: "disconnected" }));
      }
      this.cleanup();
    });
    return new Promise((resolve) => {
      ws.once("open", () => {
        this.options.fire("mod_audio_stream::connect", JSON.stringify({ status: "connected" }));
        resolve(true);
      });
      ws.once("error", (err) => {
        ws.removeAllListeners("close");
        this.options.fire("mod_audio_stream::error", JSON.stringify({ status: "error", message: { code: 6, error: `${err.message} (system error 111)` } }));
        resolve(false);
      });
    });
  }

  /** Streams `pcm` in real time as frames of `frameBytes` every `frameMs`. */
  async stream(pcm: Uint8Array, frameBytes = 640, frameMs = 20, signal?: AbortSignal): Promise<void> {
    const start = performance.now();
    for (let i = 0; i * frameBytes < pcm.byteLength; i++) {
      if (signal?.aborted || !this.open) return;
      const wait = start + i * frameMs - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (!this.open) return;
      this.ws?.send(pcm.subarray(i * frameBytes, Math.min((i + 1) * frameBytes, pcm.byteLength)), { binary: true });
    }
  }

  /**
   * Streams 16 kHz `pcm` as the module does on a trunk of `ptimeMs`: with
   * STREAM_BUFFER_SIZE unset it sends one 20 ms frame (640 bytes) per packet,
   * so at 30 ms a third of the audio is lost; with STREAM_BUFFER_SIZE=60 it
   * sends 1920 bytes every 60 ms and nothing is lost. Resolves with what it sent.
   */
  async streamLikeTrunk(pcm: Uint8Array, ptimeMs: 20 | 30, bufferSizeMs?: number): Promise<Uint8Array> {
    const packetBytes = (ptimeMs * 32_000) / 1000;
    if (bufferSizeMs) {
      const bytes = (bufferSizeMs * 32_000) / 1000;
      await this.stream(pcm, bytes, bufferSizeMs);
      return pcm;
    }
    // One 640-byte frame per packet: the rest of each packet's audio never leaves.
    const sent: Uint8Array[] = [];
    for (let at = 0; at < pcm.byteLength; at += packetBytes) sent.push(pcm.subarray(at, Math.min(at + 640, pcm.byteLength)));
    const joined = Buffer.concat(sent);
    const start = performance.now();
    for (let i = 0; i < sent.length && this.open; i++) {
      const wait = start + i * ptimeMs - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      this.ws?.send(sent[i] as Uint8Array, { binary: true });
    }
    return joined;
  }

  /** `uuid_audio_stream <uuid> stop`, or the channel hanging up. */
  stop(): void {
    this.stopped = true;
    this.closedByServer = false;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
    this.cleanup();
  }

  private onText(text: string): void {
    let msg: { type?: string; data?: { audioDataType?: string; sampleRate?: number; audioData?: string } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.otherTexts.push(text);
      return;
    }
    if (msg.type !== "streamAudio" || typeof msg.data?.audioData !== "string") {
      this.otherTexts.push(text);
      this.options.fire("mod_audio_stream::json", text);
      return;
    }
    const rate = msg.data.sampleRate ?? 8000;
    const file = join(this.options.tmpDir, `${this.options.callId}_${this.n++}.tmp.r${Math.round(rate / 1000)}`);
    writeFileSync(file, Buffer.from(msg.data.audioData, "base64"));
    this.files.push(file);
    this.options.fire("mod_audio_stream::play", JSON.stringify({ audioDataType: "raw", sampleRate: rate, file }));
  }

  private cleanup(): void {
    for (const file of this.files) rmSync(file, { force: true });
  }
}
