/** Test harness: a LinkClient with short timings against a {@link CloudStub}, cleaned up after each test. */
import type { AudioFrame, ControlMessage } from "../../shared/link/index.js";
import type { CallInfo } from "../calls/registry.js";
import type { LinkTimingConfig } from "../config.js";
import type { CallEnd, CallHandler, LinkCall } from "../link/link-call.js";
import { LinkClient } from "../link/link-client.js";
import { CloudStub, TEST_TOKEN, type CloudStubOptions } from "./cloud-stub.js";
import { captureLog, waitFor } from "./wait.js";

/** Short timings so liveness and reconnects happen in tens of ms. */
export const FAST: LinkTimingConfig = {
  heartbeatMs: 40,
  deadAfterMs: 200,
  backoffMinMs: 5,
  backoffMaxMs: 40,
  handshakeTimeoutMs: 300,
  bundleMs: 10,
  maxQueuedAudioMs: 2000,
  maxBufferedBytes: 1024 * 1024,
};

/** A call UUID from a small number. */
export const callId = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;

/** A call's info as the audio server would give it. */
export const callInfo = (n: number): CallInfo => ({
  callId: callId(n),
  secretaryId: "6f1c2b9e-1d2a-4c3b-9e8f-0123456789ab",
  caller: { number: `+55119999${n}` },
  audio: { encoding: "L16", sampleRate: 16000 },
});

/** A handler that records what the link tells the call. */
export function recordingHandler(): CallHandler & { audio: AudioFrame[]; controls: ControlMessage[]; ends: CallEnd[] } {
  const audio: AudioFrame[] = [];
  const controls: ControlMessage[] = [];
  const ends: CallEnd[] = [];
  return {
    audio,
    controls,
    ends,
    onAudio: (frame) => audio.push({ ...frame, payload: new Uint8Array(frame.payload) }),
    onControl: (message) => controls.push(message),
    onEnd: (end) => ends.push(end),
  };
}

/** 20 ms of 16 kHz PCM16 filled with `fill` (to tell calls and frames apart). */
export const pcm = (fill: number, bytes = 640) => new Uint8Array(bytes).fill(fill);

/** Opens a call or throws. */
export function open(link: LinkClient, n: number, handler: CallHandler = recordingHandler()): LinkCall {
  const opened = link.openCall(callInfo(n), handler);
  if (!opened.ok) throw new Error(`call ${n} refused: ${opened.reason}`);
  return opened.call;
}

/** Creates stubs and clients and tears them all down. */
export class LinkHarness {
  private readonly stubs: CloudStub[] = [];
  private readonly links: LinkClient[] = [];

  async stub(options: Partial<CloudStubOptions> = {}): Promise<CloudStub> {
    const stub = await CloudStub.start(options);
    this.stubs.push(stub);
    return stub;
  }

  client(stub: CloudStub, timings: Partial<LinkTimingConfig> = {}, random?: () => number) {
    const logs = captureLog("debug");
    const link = new LinkClient({ ...FAST, ...timings, url: stub.linkUrl, token: TEST_TOKEN, log: logs.log, random });
    this.links.push(link);
    return { link, logs };
  }

  /** A stub and a client that is up. */
  async up(stubOptions: Partial<CloudStubOptions> = {}, timings: Partial<LinkTimingConfig> = {}) {
    const stub = await this.stub(stubOptions);
    const { link, logs } = this.client(stub, timings);
    link.start();
    await waitFor(() => link.isUp, { what: "the link to come up" });
    const conn = await stub.connection(0);
    return { stub, link, logs, conn };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.links.splice(0).map((l) => l.stop()));
    await Promise.all(this.stubs.splice(0).map((s) => s.close()));
  }
}
