import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Direction, Encoding, LinkDecoder, type AudioFrame, type ControlInput, type LinkItem } from "../../shared/link/index.js";
import { Outbox, frameMs } from "./outbox.js";

const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";
const C = "33333333-3333-4333-8333-333333333333";

function frame(slot: number, seq: number, bytes = 640): AudioFrame {
  return { slot, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000, seq, timestampMs: seq * 20, payload: new Uint8Array(bytes).fill(seq & 0xff) };
}

const end = (callId: string): ControlInput => ({ type: "call.end", callId, reason: "stream-closed" });
const announce = (type: "call.start" | "call.resume", callId: string, slot: number): ControlInput => ({
  type,
  callId,
  slot,
  caller: { number: "100" },
  audio: { encoding: "L16", sampleRate: 16000 },
});
const start = (callId: string, slot: number) => announce("call.start", callId, slot);
const resume = (callId: string, slot: number) => announce("call.resume", callId, slot);

/** Takes every message and decodes it: one short label per item, per message. */
function drain(outbox: Outbox, limits = DEFAULT_LIMITS): string[][] {
  const messages: string[][] = [];
  for (let m = outbox.takeMessage(limits); m; m = outbox.takeMessage(limits)) {
    messages.push(new LinkDecoder().decodeMessage(m).map(label));
  }
  return messages;
}

function label(item: LinkItem): string {
  if (item.kind === "audio") return `a${item.frame.slot}:${item.frame.seq}`;
  if (item.kind === "control") return `${item.message.type}${"callId" in item.message ? `:${item.message.callId?.slice(0, 1)}` : ""}`;
  return item.kind;
}
describe("Outbox", () => {
  it("bundles the frames of many calls into one message", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    for (let seq = 0; seq < 3; seq++) for (let slot = 0; slot < 3; slot++) o.pushAudio(frame(slot, seq));
    expect(o.stats).toMatchObject({ audioFrames: 9, audioBytes: 9 * 640, controlMessages: 0 });
    expect(drain(o)).toEqual([["a0:0", "a1:0", "a2:0", "a0:1", "a1:1", "a2:1", "a0:2", "a1:2", "a2:2"]]);
    expect(o.isEmpty).toBe(true);
    expect(o.takeMessage(DEFAULT_LIMITS)).toBeUndefined();
  });

  it("keeps control in order after the audio queued before it", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    o.pushControl(start(A, 0));
    o.pushAudio(frame(0, 0));
    o.pushAudio(frame(1, 0));
    o.pushControl(end(A));
    o.pushAudio(frame(1, 1));
    expect(drain(o)).toEqual([["call.start:1", "a0:0", "a1:0", "call.end:1", "a1:1"]]);
  });

  it("drops the oldest audio of a call past its budget, counts it, and spares other calls", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 100 }); // five 20 ms frames
    for (let seq = 0; seq < 8; seq++) o.pushAudio(frame(0, seq));
    o.pushAudio(frame(1, 0));
    expect(o.stats).toMatchObject({ audioFrames: 6, droppedAudioFrames: 3 });
    expect(drain(o)).toEqual([["a0:3", "a0:4", "a0:5", "a0:6", "a0:7", "a1:0"]]);
  });

  it("never drops control, however much audio piles up around it", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 40 });
    o.pushAudio(frame(0, 0));
    o.pushControl({ type: "playback.event", callId: A, event: "started" });
    for (let seq = 1; seq < 50; seq++) o.pushAudio(frame(0, seq));
    o.pushControl(end(A));
    expect(o.stats).toMatchObject({ audioFrames: 2, controlMessages: 2, droppedAudioFrames: 48 });
    expect(drain(o)).toEqual([["playback.event:1", "a0:48", "a0:49", "call.end:1"]]);
  });

  it("keeps the newest frame even when it alone exceeds the budget", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 20 });
    o.pushAudio(frame(0, 0, 640));
    o.pushAudio(frame(0, 1, 1920));
    expect(drain(o)).toEqual([["a0:1"]]);
  });

  it("sends no more than maxFramesPerBundle frames per message", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 10_000 });
    const limits = { ...DEFAULT_LIMITS, maxFramesPerBundle: 4 };
    for (let seq = 0; seq < 10; seq++) o.pushAudio(frame(seq % 2, seq));
    expect(o.wantsEarlyFlush(limits)).toBe(true);
    expect(drain(o, limits).map((m) => m.length)).toEqual([4, 4, 2]);
  });

  it("keeps messages under maxRecordBytes, and still moves a lone oversized record", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 10_000 });
    const limits = { ...DEFAULT_LIMITS, maxRecordBytes: 2000 };
    for (let seq = 0; seq < 5; seq++) o.pushAudio(frame(0, seq, 640));
    o.pushAudio(frame(0, 5, 4000));
    const sizes: number[] = [];
    for (let m = o.takeMessage(limits); m; m = o.takeMessage(limits)) sizes.push(m.byteLength);
    expect(sizes.slice(0, -1).every((s) => s <= 2000)).toBe(true);
    expect(sizes.at(-1)).toBeGreaterThan(2000);
    expect(o.isEmpty).toBe(true);
  });

  it("asks for an early flush only when a bundle is full", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 10_000 });
    const limits = { ...DEFAULT_LIMITS, maxFramesPerBundle: 3 };
    o.pushAudio(frame(0, 0));
    o.pushAudio(frame(1, 0));
    expect(o.wantsEarlyFlush(limits)).toBe(false);
    o.pushAudio(frame(2, 0));
    expect(o.wantsEarlyFlush(limits)).toBe(true);
  });

  it("puts resumes first and drops call.start of the resumed calls", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    o.pushControl(start(B, 1));
    o.pushAudio(frame(0, 7), A);
    o.pushAudio(frame(1, 0), B);
    o.pushControl({ type: "playback.event", callId: A, event: "started" });
    o.resumeWith([resume(A, 0), resume(B, 1)], new Set([A, B]));
    expect(o.stats.controlMessages).toBe(3);
    expect(drain(o)).toEqual([["call.resume:1", "call.resume:2", "a0:7", "a1:0", "playback.event:1"]]);
  });

  it("sends the control of calls that ended first, so their slots are free for the resumes", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    o.pushAudio(frame(1, 3), C); // C ended while its audio waited
    o.pushControl(end(C));
    o.pushControl(start(B, 1)); // B took C's slot
    o.pushAudio(frame(1, 0), B);
    o.pushAudio(frame(0, 9), A);
    o.resumeWith([resume(A, 0), resume(B, 1)], new Set([A, B]));
    expect(drain(o)).toEqual([["call.end:3", "call.resume:1", "call.resume:2", "a1:0", "a0:9"]]);
    expect(o.stats.droppedAudioFrames).toBe(1);
  });

  it("re-sends call.end messages in doubt, unless queued or the call is live", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    o.pushControl(end(C));
    o.resumeWith([resume(A, 0)], new Set([A]), [end(B), end(C), end(A)]);
    expect(drain(o)).toEqual([["call.end:2", "call.end:3", "call.resume:1"]]);
  });

  it("discards the queued audio of one slot (a call ended while the link was down)", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    o.pushAudio(frame(0, 0));
    o.pushAudio(frame(1, 0));
    o.pushAudio(frame(0, 1));
    expect(o.discardAudio(0)).toBe(2);
    expect(o.discardAudio(5)).toBe(0);
    o.pushControl(end(A));
    expect(o.stats).toMatchObject({ audioFrames: 1, droppedAudioFrames: 2 });
    expect(drain(o)).toEqual([["a1:0", "call.end:1"]]);
  });

  it("refuses an invalid control message at once", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 1000 });
    expect(() => o.pushControl({ type: "call.end", callId: "nope", reason: "x" })).toThrow(TypeError);
    expect(o.isEmpty).toBe(true);
  });

  it("stays correct over many rounds (compaction)", () => {
    const o = new Outbox({ maxQueuedAudioMsPerCall: 60 });
    let sent = 0;
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < 10; i++) o.pushAudio(frame(i % 3, round * 10 + i));
      if (round % 3 === 0) {
        for (const m of drain(o)) sent += m.length;
      }
    }
    for (const m of drain(o)) sent += m.length;
    expect(sent + o.stats.droppedAudioFrames).toBe(3000);
    expect(o.stats).toMatchObject({ audioFrames: 0, audioBytes: 0 });
  });

  it("computes frame durations", () => {
    expect(frameMs(frame(0, 0, 640))).toBe(20);
    expect(frameMs({ encoding: Encoding.PCMU, sampleRate: 8000, payload: new Uint8Array(160) })).toBe(20);
  });
});
