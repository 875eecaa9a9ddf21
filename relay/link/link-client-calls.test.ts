/**
 * Calls on the link: resume across reconnects, what the cloud can do to a
 * call, and garbage from the cloud (never a crash; the link recovers).
 */
import { afterEach, describe, expect, it } from "vitest";
import { audioRecord, concatBytes, controlRecord, Direction, Encoding, type AudioFrame } from "../../shared/link/index.js";
import { LinkHarness, callId, open, pcm, recordingHandler } from "../testing/link-harness.js";
import { waitFor } from "../testing/wait.js";

const h = new LinkHarness();
afterEach(() => h.cleanup());

const down = (slot: number, fill: number, extra: Partial<AudioFrame> = {}): AudioFrame => ({
  slot,
  direction: Direction.Down,
  encoding: Encoding.L16,
  sampleRate: 16000,
  seq: 0,
  timestampMs: 0,
  payload: pcm(fill, 320),
  ...extra,
});

describe("resume after a reconnect", () => {
  it("resumes live calls on the same slots, first, then sends what was queued", async () => {
    const { stub, link, conn } = await h.up({}, { maxQueuedAudioMs: 100 });
    const a = open(link, 1);
    const b = open(link, 2);
    a.sendAudio(pcm(1));
    b.sendAudio(pcm(2));
    await waitFor(() => conn.frames().length === 2);

    const linkDown = new Promise<void>((resolve) => link.once("down", () => resolve()));
    conn.ws.terminate(); // the cloud side drops mid-call
    await linkDown; // runs before the reconnect timer can fire, however short the backoff
    expect(link.isUp).toBe(false);
    b.end("stream-closed"); // ends while down: its queued audio must not reach slot 1's next owner
    b.sendAudio(pcm(99));
    const c = open(link, 3); // starts while down: gets the free slot 1
    expect(c.slot).toBe(1);
    for (let i = 0; i < 8; i++) a.sendAudio(pcm(10 + i)); // 160 ms of audio, budget 100 ms
    c.sendAudio(pcm(50));

    const again = await stub.connection(1, 2000);
    await waitFor(() => again.frames().length === 6 && again.controls("call.end").length === 1, { what: "the queued traffic" });
    const order = again.items.slice(1).map((i) => (i.kind === "control" ? `${i.message.type}:${"callId" in i.message ? i.message.callId?.slice(-1) : ""}` : i.kind === "audio" ? `audio:${i.frame.slot}` : i.kind));
    // The ended call's call.end first: the cloud's slot table still gives it slot 1.
    expect(order).toEqual(["call.end:2", "call.resume:1", "call.resume:3", "audio:0", "audio:0", "audio:0", "audio:0", "audio:0", "audio:1"]);
    expect(again.controls("call.resume").map((r) => [r.callId, r.slot])).toEqual([
      [callId(1), 0],
      [callId(3), 1],
    ]);
    expect(again.controls("call.resume")[0]).toMatchObject({ caller: { number: "+551199991" }, audio: { encoding: "L16", sampleRate: 16000 } });
    expect(again.controls("call.start")).toEqual([]);
    // The oldest audio went first; seq goes on from where it was, so the gap shows the loss.
    expect(again.frames(0).map((f) => [f.seq, f.payload[0]])).toEqual([
      [4, 13],
      [5, 14],
      [6, 15],
      [7, 16],
      [8, 17],
    ]);
    expect(again.frames(1).map((f) => [f.seq, f.payload[0]])).toEqual([[0, 50]]);
    expect(link.snapshot().queue.droppedAudioFrames).toBe(3);

    a.sendAudio(pcm(77)); // and the call keeps streaming on the new connection
    await waitFor(() => again.frames(0).length === 6);
    expect(again.frames(0).at(-1)).toMatchObject({ seq: 9, timestampMs: 180 });
    expect(link.snapshot()).toMatchObject({ up: true, reconnects: 1, calls: 2 });
  });

  it("re-sends a call.end that a half-open socket may have swallowed", async () => {
    const { stub, link, conn } = await h.up();
    const a = open(link, 1);
    await waitFor(() => conn.controls("call.start").length === 1);
    conn.answering = false; // from now on the cloud gets nothing
    a.end("stream-closed");
    const again = await stub.connection(1, 2000);
    await waitFor(() => again.controls("call.end").length === 1);
    expect(conn.controls("call.end")).toEqual([]);
    expect(again.items[1]).toEqual({ kind: "control", message: { type: "call.end", callId: callId(1), reason: "stream-closed" } });
  });
});

describe("what the cloud does to calls", () => {
  it("delivers down audio by slot and drops frames for unknown slots", async () => {
    const { link, conn } = await h.up();
    const h1 = recordingHandler();
    const h2 = recordingHandler();
    open(link, 1, h1);
    open(link, 2, h2);
    conn.sendFrames([down(1, 21), down(0, 11), down(9, 99), down(0, 12, { direction: Direction.Up })]);
    await waitFor(() => link.counters.unknownSlotFrames === 1 && h2.audio.length === 1);
    expect(h1.audio.map((f) => f.payload[0])).toEqual([11]);
    expect(h2.audio.map((f) => f.payload[0])).toEqual([21]);
    expect(link.counters.ignoredFrames).toBe(1);
  });

  it("ends one call on call.end, an end-call error, or a malformed frame, and keeps the link", async () => {
    const { stub, link, conn } = await h.up();
    const handlers = [1, 2, 3, 4].map(() => recordingHandler());
    const calls = handlers.map((handler, i) => open(link, i + 1, handler));
    conn.sendControl({ type: "call.end", callId: callId(1), reason: "rejected", code: "LINK_CALL_REJECTED" });
    conn.sendControl({ type: "error", code: "LINK_CALL_LIMIT", message: "too many", consequence: "end-call", callId: callId(2) });
    conn.sendFrames([down(2, 1, { encoding: 9 as Encoding })]);
    await waitFor(() => handlers.slice(0, 3).every((x) => x.ends.length === 1));
    expect(handlers.map((x) => x.ends)).toEqual([
      [{ reason: "rejected", code: "LINK_CALL_REJECTED" }],
      [{ reason: "cloud-error", code: "LINK_CALL_LIMIT" }],
      [{ reason: "protocol-error", code: "LINK_FRAME_BAD_ENCODING" }],
      [],
    ]);
    expect(calls.map((c) => c.live)).toEqual([false, false, false, true]);
    // Only the malformed frame is answered with a call.end (carrying the code); the cloud knows about the others.
    await waitFor(() => conn.controls("call.end").length === 1);
    expect(conn.controls("call.end")[0]).toEqual({ type: "call.end", callId: callId(3), reason: "protocol-error", code: "LINK_FRAME_BAD_ENCODING" });
    expect(stub.connections).toHaveLength(1);
    expect(link.isUp).toBe(true);
  });

  it("routes per-call control to the call, answers commands for unknown calls", async () => {
    const { link, conn } = await h.up();
    const handler = recordingHandler();
    open(link, 1, handler);
    conn.sendControl({ type: "playback.clear", callId: callId(1), reason: "barge-in" }, { type: "command", id: "c1", callId: callId(8), name: "hangup", args: {} });
    await waitFor(() => handler.controls.length === 1 && conn.controls("command.result").length === 1);
    expect(handler.controls[0]).toEqual({ type: "playback.clear", callId: callId(1), reason: "barge-in" });
    expect(conn.controls("command.result")[0]).toEqual({ type: "command.result", id: "c1", callId: callId(8), ok: false, error: { code: "LINK_UNKNOWN_CALL", message: "no such call on this relay" } });
  });

  it("survives a throwing call handler; other calls are unaffected", async () => {
    const { link, conn } = await h.up();
    const good = recordingHandler();
    open(link, 1, { ...recordingHandler(), onAudio: () => { throw new Error("bug in one call"); } });
    open(link, 2, good);
    conn.sendFrames([down(0, 1), down(1, 2)]);
    await waitFor(() => good.audio.length === 1);
    expect(link.counters.handlerErrors).toBe(1);
    expect(link.isUp).toBe(true);
  });
});

describe("garbage from the cloud", () => {
  const cases: [string, Uint8Array | string, string][] = [
    ["random bytes", Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff), "LINK_BAD_MAGIC"],
    ["a record cut short", controlRecord({ type: "dtmf", callId: callId(1), digit: "1" }).subarray(0, 10), "LINK_TRUNCATED"],
    ["a control record that is not JSON", concatBytes([Uint8Array.of(0x56, 1, 3, 0, 0, 0), Uint8Array.of(0x7b, 0x7b, 0x7b)]), "LINK_CONTROL_NOT_JSON"],
    ["a bundle whose lengths do not add up", audioRecord([down(0, 1)]).subarray(0, 30), "LINK_TRUNCATED"],
    ["text other than pong", "hello?", "LINK_UNEXPECTED_TEXT"],
  ];
  it.each(cases)("%s: closes with 4400, logs the code, reconnects", async (_name, data, code) => {
    const { stub, link, logs, conn } = await h.up();
    const handler = recordingHandler();
    const call = open(link, 1, handler);
    conn.sendRaw(data);
    expect(await conn.closed()).toEqual({ code: 4400, reason: code });
    expect(logs.lines.find((l) => l.msg === "link protocol error, closing the link")).toMatchObject({ level: "error", code });
    const again = await stub.connection(1, 2000);
    await waitFor(() => again.controls("call.resume").length === 1, { what: "the call to resume" });
    expect(call.live).toBe(true);
    expect(handler.ends).toEqual([]);
    expect(link.counters.protocolErrors).toBe(1);
  });

  it("a close-link error message: closes with 4400 and reconnects", async () => {
    const { stub, conn } = await h.up();
    conn.sendControl({ type: "error", code: "LINK_BAD_MAGIC", message: "your bytes", consequence: "close-link" });
    expect((await conn.closed()).code).toBe(4400);
    await stub.connection(1, 2000);
  });

  it("messages only the relay sends, and unknown types, are ignored", async () => {
    const { stub, link, conn } = await h.up();
    conn.sendControl({ type: "call.start", callId: callId(5), slot: 0, caller: { number: "1" }, audio: { encoding: "L16", sampleRate: 8000 } });
    conn.sendRaw(concatBytes([controlRecord({ type: "dtmf", callId: callId(5), digit: "1" }), Uint8Array.of(0x56, 9, 1, 0, 0, 0, 0)]));
    conn.sendRaw(concatBytes([Uint8Array.of(0x56, 1, 19, 0, 0, 0), new TextEncoder().encode('{"type":"future.x"}')]));
    await waitFor(() => link.counters.ignoredRecords === 2 && link.counters.unexpectedMessages === 1 && link.counters.unknownCallMessages === 1);
    expect(stub.connections).toHaveLength(1);
  });
});
