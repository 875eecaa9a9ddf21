/**
 * The audio stream server with a ws client acting like mod_audio_stream,
 * and a real link client talking to the cloud stub: what the module sends
 * must come out on the link, and what the cloud sends must reach the module.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { audioRecord, concatBytes, controlRecord, Direction, Encoding, type AudioFrame } from "../../shared/link/index.js";
import { LinkHarness } from "../testing/link-harness.js";
import { captureLog, waitFor } from "../testing/wait.js";
import { CallManager } from "../calls/call-manager.js";
import { testFsConfig } from "../testing/fs-config.js";
import { AudioStreamServer } from "./audio-server.js";

const SEC = "6f1c2b9e-1d2a-4c3b-9e8f-0123456789ab";
const call = (n: number) => `c0ffee00-0000-4000-8000-${n.toString().padStart(12, "0")}`;

/** A WebSocket client that behaves like mod_audio_stream. */
class FakeModule {
  readonly texts: string[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.texts.push(data.toString());
    });
    ws.on("close", (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
  }
  static connect(port: number, path: string): Promise<FakeModule> {
    // What the module sends: no subprotocol, no compression, this origin.
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, origin: `http://127.0.0.1:${port}` });
    const module = new FakeModule(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(module));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }
  played(): { sampleRate: number; pcm: Buffer }[] {
    return this.texts.map((t) => {
      const m = JSON.parse(t) as { type: string; data: { audioDataType: string; sampleRate: number; audioData: string } };
      expect(m.type).toBe("streamAudio");
      expect(m.data.audioDataType).toBe("raw");
      return { sampleRate: m.data.sampleRate, pcm: Buffer.from(m.data.audioData, "base64") };
    });
  }
  async closed(): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closeInfo !== undefined, { what: "the module socket to close" });
    return this.closeInfo as { code: number; reason: string };
  }
}

const h = new LinkHarness();
const servers: AudioStreamServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await h.cleanup();
});

async function setup() {
  const { stub, link, conn } = await h.up();
  const logs = captureLog("debug");
  // No event socket in these tests: calls run audio-only at once.
  const calls = new CallManager({ link, inbound: undefined, config: testFsConfig(), log: logs.log });
  const server = new AudioStreamServer({ host: "127.0.0.1", port: 0, calls, log: logs.log });
  servers.push(server);
  const { port } = await server.listen();
  return { stub, link, conn, logs, server, port };
}

const seqBytes = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const down = (slot: number, payload: Uint8Array, sampleRate = 16000): AudioFrame => ({ slot, direction: Direction.Down, encoding: Encoding.L16, sampleRate, seq: 0, timestampMs: 0, payload }) as AudioFrame;

describe("AudioStreamServer upstream", () => {
  it("starts the call on connect and streams frames of any size with seq and timestamps", async () => {
    const { conn, port } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/%2B5511999990000`);
    await waitFor(() => conn.controls("call.start").length === 1);
    expect(conn.controls("call.start")[0]).toEqual({ type: "call.start", callId: call(1), slot: 0, secretaryId: SEC, caller: { number: "+5511999990000" }, audio: { encoding: "L16", sampleRate: 16000 } });
    for (const size of [640, 320, 1920]) m.ws.send(seqBytes(size, size));
    await waitFor(() => conn.frames().length === 3);
    expect(conn.frames().map((f) => [f.slot, f.payload.byteLength, f.seq, f.timestampMs])).toEqual([
      [0, 640, 0, 0],
      [0, 320, 1, 20],
      [0, 1920, 2, 30],
    ]);
    expect(conn.frames()[2]?.payload).toEqual(seqBytes(1920, 1920));
  });

  it("keeps an odd byte for the next frame rather than misalign", async () => {
    const { conn, port } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    const audio = seqBytes(1280 + 2);
    m.ws.send(audio.subarray(0, 641));
    m.ws.send(audio.subarray(641, 1280));
    m.ws.send(audio.subarray(1280, 1281));
    m.ws.send(audio.subarray(1281));
    await waitFor(() => conn.frames().length === 3);
    expect(conn.frames().map((f) => f.payload.byteLength)).toEqual([640, 640, 2]);
    expect(Buffer.concat(conn.frames().map((f) => f.payload))).toEqual(Buffer.from(audio));
  });

  it("ends the call with stream-closed when the module closes", async () => {
    const { conn, port, link } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    m.ws.send(seqBytes(640));
    m.ws.send("{\"event\":\"metadata from start\"}"); // text from the module: logged, ignored
    m.ws.close(1000);
    await waitFor(() => conn.controls("call.end").length === 1);
    expect(conn.controls("call.end")[0]).toEqual({ type: "call.end", callId: call(1), reason: "stream-closed" });
    expect(conn.frames()).toHaveLength(1);
    expect(link.snapshot().calls).toBe(0);
  });

  it("reads the older path with ?rate=8000 (domain, no caller)", async () => {
    const { conn, port } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(2)}?rate=8000`);
    m.ws.send(seqBytes(320));
    await waitFor(() => conn.frames().length === 1);
    expect(conn.controls("call.start")[0]).toEqual({ type: "call.start", callId: call(2), slot: 0, domainId: SEC, caller: { number: "" }, audio: { encoding: "L16", sampleRate: 8000 } });
    expect(conn.frames()[0]).toMatchObject({ sampleRate: 8000, seq: 0 });
  });

  it.each([
    ["/", 404],
    [`/stream/${SEC}`, 404],
    [`/stream/not-a-uuid/${call(1)}/100`, 400],
    [`/stream/${SEC}/${call(1)}/100?rate=48000`, 400],
  ])("refuses %s with HTTP %i before the upgrade, and says why", async (path, status) => {
    const { conn, port, logs, server } = await setup();
    await expect(FakeModule.connect(port, path)).rejects.toThrow(`HTTP ${status}`);
    const line = logs.lines.find((l) => l.msg === "audio stream rejected");
    expect(line).toMatchObject({ level: "warn", status, path });
    expect(String(line?.why).length).toBeGreaterThan(0);
    expect(server.snapshot().counters.streamsRejected).toBe(1);
    expect(conn.controls("call.start")).toEqual([]);
  });

  it("refuses a second stream for a live call (1008) and keeps the first", async () => {
    const { conn, port } = await setup();
    const first = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    const second = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    expect((await second.closed()).code).toBe(1008);
    first.ws.send(seqBytes(640));
    await waitFor(() => conn.frames().length === 1);
    expect(conn.controls("call.start")).toHaveLength(1);
    expect(conn.controls("call.end")).toEqual([]);
  });
});

describe("AudioStreamServer downstream", () => {
  it("sends agent audio to the module as streamAudio, a short utterance as one chunk per rate", async () => {
    const { conn, port } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    await waitFor(() => conn.controls("call.start").length === 1);
    conn.sendFrames([down(0, seqBytes(320)), down(0, seqBytes(320, 64))]);
    conn.sendFrames([down(0, seqBytes(160, 7), 8000)]);
    await waitFor(() => m.texts.length === 2);
    expect(m.played()).toEqual([
      { sampleRate: 16000, pcm: Buffer.concat([seqBytes(320), seqBytes(320, 64)]) },
      { sampleRate: 8000, pcm: Buffer.from(seqBytes(160, 7)) },
    ]);
  });

  it("drops unsent agent audio on playback.clear", async () => {
    const { conn, port, server } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    await waitFor(() => conn.controls("call.start").length === 1);
    // Audio then clear in one message: the audio is still queued when the clear arrives.
    conn.sendRaw(concatBytes([audioRecord([down(0, seqBytes(640))]), controlRecord({ type: "playback.clear", callId: call(1) })]));
    conn.sendFrames([down(0, seqBytes(320, 5))]);
    await waitFor(() => m.texts.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 30)); // nothing else may follow
    expect(m.played()).toEqual([{ sampleRate: 16000, pcm: Buffer.from(seqBytes(320, 5)) }]);
    expect(server.snapshot().counters.playbackBytesCleared).toBe(640);
  });

  it("closes the module socket with 1000 when the cloud ends the call", async () => {
    const { conn, port, link } = await setup();
    const m = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    await waitFor(() => conn.controls("call.start").length === 1);
    conn.sendControl({ type: "call.end", callId: call(1), reason: "transferred" });
    expect(await m.closed()).toEqual({ code: 1000, reason: "call ended" });
    expect(link.snapshot().calls).toBe(0);
    expect(conn.controls("call.end")).toEqual([]); // the cloud ended it: nothing echoed back
  });

  it("one call's trouble stays in that call", async () => {
    const { conn, port } = await setup();
    const a = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    const b = await FakeModule.connect(port, `/stream/${SEC}/${call(2)}/200`);
    await waitFor(() => conn.controls("call.start").length === 2);
    conn.sendFrames([{ ...down(0, seqBytes(320)), encoding: 7 as Encoding }]); // malformed frame for call 1
    expect((await a.closed()).code).toBe(1000);
    b.ws.send(seqBytes(640));
    conn.sendFrames([down(1, seqBytes(320))]);
    await waitFor(() => conn.frames(1).length === 1 && b.texts.length === 1);
    expect(conn.controls("call.end")).toEqual([{ type: "call.end", callId: call(1), reason: "protocol-error", code: "LINK_FRAME_BAD_ENCODING" }]);
    expect(b.closeInfo).toBeUndefined();
  });

  it("on close, ends every call (relay-shutdown) and closes the module sockets with 1001", async () => {
    const { conn, port, server } = await setup();
    const a = await FakeModule.connect(port, `/stream/${SEC}/${call(1)}/100`);
    const b = await FakeModule.connect(port, `/stream/${SEC}/${call(2)}/200`);
    await server.close();
    servers.splice(0);
    expect((await a.closed()).code).toBe(1001);
    expect((await b.closed()).code).toBe(1001);
    await waitFor(() => conn.controls("call.end").length === 2);
    expect(conn.controls("call.end").map((e) => e.reason)).toEqual(["relay-shutdown", "relay-shutdown"]);
  });
});
