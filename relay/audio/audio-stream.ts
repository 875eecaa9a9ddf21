/**
 * One mod_audio_stream connection: the caller's audio of one call, and the
 * way back into it. Binary frames (raw PCM16LE, any size) are handed to the
 * owner sample-aligned; text frames (metadata from `start`, `send_text`,
 * `stop`) are counted and logged; agent audio goes back as `streamAudio`
 * text. The call that owns it ({@link StreamOwner}) decides everything
 * else. An exception in here ends this stream, never the server or another call.
 */
import type { WebSocket, RawData } from "ws";
import type { Logger } from "../log.js";
import { messageBytes } from "../ws-close.js";
import { Pcm16Aligner } from "./pcm16-aligner.js";
import { streamAudioMessage, type PlaybackChunk } from "./playback-queue.js";
import type { StreamTarget } from "./stream-path.js";

/** Counters shared by all streams of one server. */
export interface AudioCounters {
  streamsAccepted: number;
  streamsRejected: number;
  streamsRefusedByLink: number;
  framesIn: number;
  bytesIn: number;
  textMessagesIn: number;
  playbackChunksOut: number;
  playbackBytesOut: number;
  playbackBytesCleared: number;
  playbackFramesRefused: number;
  streamErrors: number;
}

/** What the stream tells the call that owns it. Each runs guarded. */
export interface StreamOwner {
  onAudio(pcm: Uint8Array): void;
  onClose(code: number, reason: string): void;
}

export interface AudioStreamDeps {
  log: Logger;
  counters: AudioCounters;
  /** Module socket bytes not yet written above which playback waits. */
  playbackHighWaterBytes: number;
}

const CLOSE_INTERNAL = 1011;

/** One module connection. */
export class AudioStream {
  owner: StreamOwner | undefined;
  private readonly aligner = new Pcm16Aligner();
  readonly log: Logger;
  private closedInfo: { code: number; reason: string } | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly target: StreamTarget,
    private readonly deps: AudioStreamDeps,
  ) {
    this.log = deps.log.child({ callId: target.callId });
    ws.on("error", (err) => this.log.warn({ err: err.message }, "audio stream socket error"));
    ws.on("close", (code, reason) => this.onClose(code, reason.toString("utf8")));
    ws.on("message", (data, isBinary) => this.guard(() => this.onMessage(data, isBinary)));
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** True while the module's socket can take more playback now. */
  get writable(): boolean {
    return this.open && this.ws.bufferedAmount <= this.deps.playbackHighWaterBytes;
  }

  get counters(): AudioCounters {
    return this.deps.counters;
  }

  /** Sends agent audio as one `streamAudio` message; false when the socket cannot take it. */
  sendAudio(chunk: PlaybackChunk): boolean {
    if (!this.open) return false;
    this.ws.send(streamAudioMessage(chunk));
    this.deps.counters.playbackChunksOut++;
    this.deps.counters.playbackBytesOut += chunk.pcm.byteLength;
    return true;
  }

  /** Closes the module's socket (it does not reconnect whatever the code). */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason.slice(0, 123));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const bytes = messageBytes(data);
    if (!isBinary) {
      // Metadata from `start`, `send_text` or `stop`: nothing the call needs.
      this.deps.counters.textMessagesIn++;
      this.log.debug({ text: bytes.toString("utf8", 0, Math.min(bytes.byteLength, 500)) }, "text from mod_audio_stream ignored");
      return;
    }
    this.deps.counters.framesIn++;
    this.deps.counters.bytesIn += bytes.byteLength;
    const pcm = this.aligner.push(bytes);
    if (pcm.byteLength > 0) this.owner?.onAudio(pcm);
  }

  private onClose(code: number, reason: string): void {
    if (this.closedInfo) return;
    this.closedInfo = { code, reason };
    if (this.aligner.holding) this.log.debug("odd byte dropped at close");
    const owner = this.owner;
    try {
      owner?.onClose(code, reason);
    } catch (err) {
      this.deps.counters.streamErrors++;
      this.log.error({ err }, "audio stream close handler failed");
    }
  }

  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.deps.counters.streamErrors++;
      this.log.error({ err }, "audio stream failed; closing it");
      this.close(CLOSE_INTERNAL, "relay error");
    }
  }
}
