/**
 * A scripted relay for tests in the Workers runtime: a real WebSocket to the
 * Worker (through its fetch handler, as a relay's upgrade would arrive), the
 * shared codec on both directions, and waits with timeouts so a broken hub
 * fails a test instead of hanging it.
 *
 * Quirk of this test transport (workerd 1.20260426 under vitest-pool-workers):
 * messages a test sends in quick succession on this socket can reach the
 * Durable Object out of order (seen: three sends arriving last-first, even
 * with a macrotask between sends). A relay on a real TCP socket (wrangler dev,
 * 5 x 200 back-to-back messages) arrives in order. So a test that needs one
 * message handled before the next waits for evidence of it (an echo, a
 * counter, a session's status) before sending the next.
 */
import { env, exports } from "cloudflare:workers";
import {
  audioRecord,
  concatBytes,
  Direction,
  encodeRecord,
  RecordKind,
  Encoding,
  encodeLinkMessage,
  LinkDecoder,
  PROTOCOL_VERSION,
  type AudioFrame,
  type ControlInput,
  type ControlMessage,
  type ControlOf,
  type LinkItem,
} from "../../shared/link/index.js";

export const CONNECT_URL = "http://cloud.test/v1/relay/connect";

export interface Closed {
  code: number;
  reason: string;
}

export class TestRelay {
  /** Decoded items of every binary message received, in order. */
  readonly items: LinkItem[] = [];
  readonly texts: string[] = [];
  readonly closed: Promise<Closed>;
  closeEvent: Closed | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    // With this compatibility date binary messages arrive as Blob by default (the standard's choice).
    ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.closeEvent = { code: e.code, reason: e.reason };
        resolve(this.closeEvent);
        this.wake();
      });
    });
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") this.texts.push(e.data);
      else this.items.push(...new LinkDecoder().decodeMessage(new Uint8Array(e.data as ArrayBuffer)));
      this.wake();
    });
    ws.accept();
  }

  /** Opens the link; `token: null` sends no Authorization header. */
  static async connect(options: { token?: string | null; headers?: Record<string, string> } = {}): Promise<TestRelay> {
    const token = options.token === undefined ? env.RELAY_TOKEN : options.token;
    const headers: Record<string, string> = { Upgrade: "websocket", ...options.headers };
    if (token !== null && token !== undefined) headers["Authorization"] = `Bearer ${token}`;
    const res = await exports.default.fetch(CONNECT_URL, { headers });
    if (res.status !== 101 || !res.webSocket) throw new Error(`expected 101 with a WebSocket, got ${res.status}`);
    return new TestRelay(res.webSocket);
  }

  /** Connects and completes the handshake. */
  static async ready(): Promise<{ relay: TestRelay; welcome: ControlOf<"welcome"> }> {
    const relay = await TestRelay.connect();
    relay.send([hello()]);
    const welcome = await relay.waitForControl("welcome");
    return { relay, welcome };
  }

  send(controls: readonly ControlInput[], frames: readonly AudioFrame[] = []): void {
    this.ws.send(encodeLinkMessage(controls, frames));
  }

  /** Sends a control record without validating it (the codec's encoder refuses invalid messages). */
  sendUnchecked(control: Record<string, unknown>, frames: readonly AudioFrame[] = []): void {
    const parts = [encodeRecord(RecordKind.Control, new TextEncoder().encode(JSON.stringify(control)))];
    if (frames.length > 0) parts.push(audioRecord(frames));
    this.ws.send(concatBytes(parts));
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Resolves once `check` returns a value; rejects after `timeoutMs` or when the socket closes first. */
  async waitUntil<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (this.closeEvent) throw new Error(`socket closed (${this.closeEvent.code} ${this.closeEvent.reason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  controls(): ControlMessage[] {
    return this.items.flatMap((i) => (i.kind === "control" ? [i.message] : []));
  }

  async waitForControl<T extends ControlMessage["type"]>(type: T, match: (m: ControlOf<T>) => boolean = () => true): Promise<ControlOf<T>> {
    return this.waitUntil(`control ${type}`, () => this.controls().find((m): m is ControlOf<T> => m.type === type && match(m as ControlOf<T>)));
  }

  /** Down frames received for `slot`, in arrival order. */
  framesFor(slot: number): AudioFrame[] {
    return this.items.flatMap((i) => (i.kind === "audio" && i.frame.slot === slot ? [i.frame] : []));
  }

  async waitForFrames(slot: number, count: number, timeoutMs?: number): Promise<AudioFrame[]> {
    return this.waitUntil(`${count} frames on slot ${slot}`, () => {
      const frames = this.framesFor(slot);
      return frames.length >= count ? frames : undefined;
    }, timeoutMs);
  }

  async waitForClose(timeoutMs = 5000): Promise<Closed> {
    return this.waitUntil("close", () => this.closeEvent, timeoutMs).catch((err: unknown) => {
      if (this.closeEvent) return this.closeEvent;
      throw err;
    });
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // already closed
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function hello(overrides: Partial<ControlOf<"hello">> = {}): ControlInput {
  return { type: "hello", protocolVersion: PROTOCOL_VERSION, minProtocolVersion: 1, software: "test-relay/0", capabilities: [], ...overrides };
}

type CallAnnouncement = Extract<ControlInput, { type: "call.start" | "call.resume" }>;

export function callStart(
  callId: string,
  slot: number,
  overrides: Partial<Omit<ControlOf<"call.start">, "type">> = {},
  type: CallAnnouncement["type"] = "call.start",
): CallAnnouncement {
  return {
    callId,
    slot,
    secretaryId: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
    caller: { number: "+5511999990000" },
    destination: "8000",
    audio: { encoding: "L16", sampleRate: 16000 },
    ...overrides,
    type,
  };
}

export function callResume(callId: string, slot: number): CallAnnouncement {
  return callStart(callId, slot, {}, "call.resume");
}

/** A 20 ms 16 kHz PCM16 frame whose bytes encode (slot, seq), so an echo can be checked byte for byte. */
export function upFrame(slot: number, seq: number, payloadBytes = 640): AudioFrame {
  const payload = new Uint8Array(payloadBytes);
  for (let i = 0; i < payloadBytes; i++) payload[i] = (slot * 31 + seq * 7 + i) & 0xff;
  return { slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000, seq, timestampMs: seq * 20, payload };
}

/** Polls `read` until `check` holds: the hub and sessions act after reading a message, not when `send` returns. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`never matched: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
    value = await read();
  }
  return value;
}
