/**
 * The calls this relay runs, by call UUID. Audio streams and outbound event
 * sockets arrive here in any order and are paired into one {@link Call};
 * link up and down reach every call (the grace period); a second stream or
 * socket for a call that has one is refused. A call leaves the table when
 * both its sockets are closed and the link call is over, so nothing stays
 * behind it.
 */
import type { AudioStream } from "../audio/audio-stream.js";
import type { StreamTaker } from "../audio/audio-server.js";
import type { FreeswitchConfig } from "../config.js";
import type { OutboundSession } from "../esl/outbound-server.js";
import type { LinkClient } from "../link/link-client.js";
import type { Logger } from "../log.js";
import { Call, type CallDeps } from "./call.js";
import { newCallCounters, type CallCounters } from "./call-counters.js";
import type { InboundApi } from "./esl-runner.js";

export interface CallManagerOptions {
  link: Pick<LinkClient, "openCall" | "isUp" | "on">;
  inbound: InboundApi | undefined;
  config: FreeswitchConfig;
  log: Logger;
  /** Each command's outcome and duration (for /metrics). */
  onCommand?: (name: string, seconds: number, ok: boolean) => void;
}

const CLOSE_POLICY = 1008;

/** Pairs streams and sockets into calls. */
export class CallManager implements StreamTaker {
  private readonly calls = new Map<string, Call>();
  readonly counters: CallCounters = newCallCounters();
  private readonly deps: CallDeps;
  private readonly log: Logger;

  constructor(private readonly options: CallManagerOptions) {
    this.log = options.log.child({ component: "calls" });
    this.deps = {
      link: options.link,
      inbound: options.inbound,
      config: options.config,
      log: this.log,
      counters: this.counters,
      onCommand: options.onCommand,
      onDone: (call) => {
        if (this.calls.get(call.callId) === call) this.calls.delete(call.callId);
      },
    };
    options.link.on("down", () => this.each((call) => call.linkDown()));
    options.link.on("up", () => this.each((call) => call.linkUp()));
  }

  /** Calls in the table (any state). */
  get size(): number {
    return this.calls.size;
  }

  /** Agent audio waiting in the relay, all calls (for /metrics). */
  playbackQueuedBytes(): number {
    let bytes = 0;
    for (const call of this.calls.values()) bytes += call.playback.queuedBytes;
    return bytes;
  }

  get(callId: string): Call | undefined {
    return this.calls.get(callId);
  }

  /** A mod_audio_stream connection arrived. */
  onStream(stream: AudioStream): boolean {
    const callId = stream.target.callId;
    const call = this.calls.get(callId) ?? this.create(callId);
    if (call.stream) {
      this.log.warn({ callId }, "a second audio stream for a call that has one: refused");
      stream.close(CLOSE_POLICY, "call refused: duplicate");
      return false;
    }
    call.guard(() => call.attachStream(stream));
    return true;
  }

  /** An outbound event socket finished its setup. */
  onSession(session: OutboundSession): void {
    const callId = session.info.callId;
    const call = this.calls.get(callId) ?? this.create(callId);
    if (call.session && !call.session.closed) {
      this.log.warn({ callId }, "a second event socket for a call that has one: closed");
      session.close("duplicate");
      return;
    }
    call.guard(() => call.attachSession(session));
  }

  shutdownStreams(): void {
    this.each((call) => call.shutdown());
  }

  private create(callId: string): Call {
    const call = new Call(callId, this.deps);
    this.calls.set(callId, call);
    return call;
  }

  private each(run: (call: Call) => void): void {
    for (const call of [...this.calls.values()]) call.guard(() => run(call));
  }
}
