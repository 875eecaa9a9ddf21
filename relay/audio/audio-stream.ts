/**
 * One mod_audio_stream connection: the caller's audio of one call. Binary
 * frames (raw PCM16LE, any size) go up the link as that call's frames; the
 * agent's audio coming down is sent back as `streamAudio` text messages.
 * Everything here is per call: an exception ends this stream, never the
 * server or another call.
 */
import type { WebSocket, RawData } from "ws";
import type { ControlMessage } from "../../shared/link/index.js";
import type { CallInfo } from "../calls/registry.js";
import type { CallEnd, CallHandler, LinkCall } from "../link/link-call.js";
import type { OpenCallResult } from "../link/link-client.js";
import type { Logger } from "../log.js";
import { messageBytes } from "../ws-close.js";
import { Pcm16Aligner } from "./pcm16-aligner.js";
import { PlaybackQueue, streamAudioMessage } from "./playback-queue.js";
import type { StreamTarget } from "./stream-path.js";

/** The part of the link client a stream uses. */
export interface CallOpener {
  openCall(info: CallInfo, handler: CallHandler): OpenCallResult;
}

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

export interface AudioStreamDeps {
  link: CallOpener;
  log: Logger;
  counters: AudioCounters;
  /** Module socket bytes not yet written above which playback waits. */
  playbackHighWaterBytes: number;
}

// WebSocket close codes towards the module (it does not reconnect whatever we send).
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_INTERNAL = 1011;
const CLOSE_TRY_LATER = 1013;
const PLAYBACK_RETRY_MS = 20;

/** One module connection, bound to one call on the link. */
export class AudioStream {
  private call: LinkCall | undefined;
  private readonly aligner = new Pcm16Aligner();
  private readonly playback = new PlaybackQueue();
  private playbackScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private warnedRefusal = false;
  private readonly log: Logger;

  constructor(
    private readonly ws: WebSocket,
    readonly target: StreamTarget,
    private readonly deps: AudioStreamDeps,
  ) {
    this.log = deps.log.child({ callId: target.callId });
  }

  /** Opens the call on the link (call.start goes out now) and starts listening; false when refused. */
  start(): boolean {
    const { target } = this;
    const info: CallInfo = {
      callId: target.callId,
      secretaryId: target.secretaryId,
      domainId: target.domainId,
      caller: { number: target.callerNumber },
      audio: { encoding: "L16", sampleRate: target.sampleRate },
    };
    const handler: CallHandler = {
      onAudio: (frame) => this.onDownAudio(frame),
      onControl: (message) => this.onControl(message),
      onEnd: (end) => this.onCloudEnd(end),
    };
    const opened = this.deps.link.openCall(info, handler);
    this.ws.on("error", (err) => this.log.warn({ err: err.message }, "audio stream socket error"));
    this.ws.on("close", (code, reason) => this.guard(() => this.onClose(code, reason.toString("utf8"))));
    if (!opened.ok) {
      this.deps.counters.streamsRefusedByLink++;
      const code = opened.reason === "full" ? CLOSE_TRY_LATER : opened.reason === "stopping" ? CLOSE_GOING_AWAY : CLOSE_POLICY;
      this.log.warn({ reason: opened.reason }, "audio stream refused: the link would not take the call");
      this.ws.close(code, `call refused: ${opened.reason}`);
      return false;
    }
    this.call = opened.call;
    this.deps.counters.streamsAccepted++;
    this.log.info({ slot: opened.call.slot, secretaryId: target.secretaryId, domainId: target.domainId, sampleRate: target.sampleRate }, "audio stream connected");
    this.ws.on("message", (data, isBinary) => this.guard(() => this.onMessage(data, isBinary)));
    return true;
  }

  /** The relay is stopping: end the call on the link (the server closes the socket). */
  shutdown(): void {
    this.guard(() => this.call?.end("relay-shutdown"));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const bytes = messageBytes(data);
    if (!isBinary) {
      // Metadata from `start`, `send_text` or `stop`: nothing the call needs yet.
      this.deps.counters.textMessagesIn++;
      this.log.debug({ text: bytes.toString("utf8", 0, Math.min(bytes.byteLength, 500)) }, "text from mod_audio_stream ignored");
      return;
    }
    this.deps.counters.framesIn++;
    this.deps.counters.bytesIn += bytes.byteLength;
    const pcm = this.aligner.push(bytes);
    if (pcm.byteLength > 0) this.call?.sendAudio(pcm);
  }

  private onDownAudio(frame: Parameters<CallHandler["onAudio"]>[0]): void {
    const refused = this.playback.push(frame);
    if (refused) {
      this.deps.counters.playbackFramesRefused++;
      if (!this.warnedRefusal) {
        this.warnedRefusal = true;
        this.log.warn({ refused, encoding: frame.encoding, sampleRate: frame.sampleRate }, "agent audio the module cannot play (L16 at 8000/16000 only); dropping it");
      }
      return;
    }
    this.schedulePlayback();
  }

  private onControl(message: ControlMessage): void {
    if (message.type === "playback.clear") {
      // Barge-in: what the module already has is FreeSWITCH's to stop (uuid_break); ours we drop.
      const dropped = this.playback.clear();
      this.deps.counters.playbackBytesCleared += dropped;
      this.log.debug({ droppedBytes: dropped, reason: message.reason }, "playback cleared");
      return;
    }
    this.log.debug({ type: message.type }, "call control not handled by the audio stream");
  }

  private onCloudEnd(end: CallEnd): void {
    this.log.info({ reason: end.reason, code: end.code }, "call ended by the cloud, closing the audio stream");
    this.playback.clear();
    this.ws.close(CLOSE_NORMAL, "call ended");
  }

  // Deferred so the frames of one link message go to the module as one chunk.
  private schedulePlayback(): void {
    if (this.playbackScheduled) return;
    this.playbackScheduled = true;
    setImmediate(() => this.guard(() => this.drainPlayback()));
  }

  private drainPlayback(): void {
    this.playbackScheduled = false;
    this.retryTimer = undefined;
    if (this.ws.readyState !== this.ws.OPEN) {
      this.playback.clear();
      return;
    }
    while (this.playback.queuedBytes > 0) {
      if (this.ws.bufferedAmount > this.deps.playbackHighWaterBytes) {
        this.playbackScheduled = true;
        this.retryTimer = setTimeout(() => this.guard(() => this.drainPlayback()), PLAYBACK_RETRY_MS);
        return;
      }
      const chunk = this.playback.take();
      if (!chunk) return;
      this.ws.send(streamAudioMessage(chunk));
      this.deps.counters.playbackChunksOut++;
      this.deps.counters.playbackBytesOut += chunk.pcm.byteLength;
    }
  }

  private onClose(code: number, reason: string): void {
    clearTimeout(this.retryTimer);
    this.playback.clear();
    const live = this.call?.live === true;
    this.call?.end("stream-closed");
    if (this.call) this.log.info({ code, reason: reason.slice(0, 123), endedCall: live, oddByteDropped: this.aligner.holding }, "audio stream closed");
  }

  private guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.deps.counters.streamErrors++;
      this.log.error({ err }, "audio stream failed; closing it");
      this.call?.end("relay-error");
      this.ws.close(CLOSE_INTERNAL, "relay error");
    }
  }
}
