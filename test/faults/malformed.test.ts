/**
 * Malformed and oversized input from each side of the link.
 *
 * - Into the Worker: a raw relay (RawLink) sends garbage, oversized and
 *   truncated records, stray text, and a bad frame or message for one call.
 *   Link-level corruption closes the link with 4400 and an `error` naming
 *   the code; a problem confined to one call ends that call only.
 * - Into the relay: a raw cloud (the cloud stub) sends the same kinds of
 *   junk to the real relay process. The relay closes with 4400, reconnects
 *   and resumes its calls, which never notice; a bad frame for one call ends
 *   that call and no other.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Consequence, Direction, Encoding, RECORD_MAGIC, RecordKind, type AudioFrame, type ControlInput } from "../../shared/link/index.js";
import { CloudStub, TEST_TOKEN } from "../../relay/testing/cloud-stub.js";
import { waitFor } from "../../relay/testing/wait.js";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { speech16k } from "../stack/fixtures.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { RawLink } from "./raw-link.js";

/** A record header claiming `length` bytes of body, with `body` after it. */
function record(kind: number, length: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(6 + body.byteLength);
  out[0] = RECORD_MAGIC;
  out[1] = kind;
  new DataView(out.buffer).setUint32(2, length, true);
  out.set(body, 6);
  return out;
}

const pcm = (bytes = 640, fill = 1) => new Uint8Array(bytes).fill(fill);
const frame = (slot: number, seq: number, payload = pcm(), encoding: number = Encoding.L16): AudioFrame => ({
  slot,
  direction: Direction.Up,
  encoding: encoding as Encoding,
  sampleRate: 16000,
  seq,
  timestampMs: seq * 20,
  payload,
});
const callStart = (callId: string, slot: number): ControlInput => ({
  type: "call.start",
  callId,
  slot,
  secretaryId: randomUUID(),
  caller: { number: "+5511999990000" },
  audio: { encoding: "L16", sampleRate: 16000 },
});

describe("into the Worker", () => {
  const token = randomBytes(24).toString("hex");
  let cloud: LocalCloud;
  let link: RawLink | undefined;

  beforeAll(async () => {
    cloud = await startLocalCloud({ relayToken: token, echoDelayMs: 0, relayId: "fault-malformed" });
  });
  afterEach(() => link?.close());
  afterAll(async () => {
    await cloud?.stop();
  });

  async function expectLinkClosed(l: RawLink, code: string): Promise<void> {
    const closed = await l.closed();
    expect(closed.code).toBe(4400);
    expect(l.controls("error").map((e) => [e.code, e.consequence])).toContainEqual([code, Consequence.CloseLink]);
  }

  it("closes with 4400 LINK_BAD_MAGIC on garbage before hello", async () => {
    link = await RawLink.connect(cloud.url, token);
    link.sendRaw(randomBytes(300));
    await expectLinkClosed(link, "LINK_BAD_MAGIC");
  });

  it("closes with 4400 LINK_RECORD_TOO_LARGE on a 2 MiB record", async () => {
    link = await RawLink.up(cloud.url, token);
    const big = new Uint8Array(2 * 1024 * 1024);
    link.sendRaw(record(RecordKind.Control, big.byteLength, big));
    await expectLinkClosed(link, "LINK_RECORD_TOO_LARGE");
  });

  it("closes with 4400 LINK_TRUNCATED on a message that ends inside a record", async () => {
    link = await RawLink.up(cloud.url, token);
    link.sendRaw(record(RecordKind.AudioBundle, 100, pcm(10)));
    await expectLinkClosed(link, "LINK_TRUNCATED");
  });

  it("closes with 4400 on a text message that is not a ping, and on a 100 KiB control message", async () => {
    link = await RawLink.up(cloud.url, token);
    link.sendRaw("hello?");
    await expectLinkClosed(link, "LINK_CONTROL_INVALID");
    link = await RawLink.up(cloud.url, token);
    const json = new TextEncoder().encode(JSON.stringify({ type: "dtmf", callId: randomUUID(), digit: "1", pad: "x".repeat(100 * 1024) }));
    link.sendRaw(record(RecordKind.Control, json.byteLength, json));
    await expectLinkClosed(link, "LINK_CONTROL_TOO_LARGE");
  });

  it("ends only the call whose frame or message is malformed; the other call's echo goes on", async () => {
    link = await RawLink.up(cloud.url, token);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    link.sendControl(callStart(a, 0), callStart(b, 1), callStart(c, 2));
    link.sendFrames([frame(0, 0), frame(1, 0), frame(2, 0)]);
    const l = link;
    await waitFor(() => l.frames(1).length >= 1 && l.frames(0).length >= 1, { timeoutMs: 10_000, what: "first echoes" });
    // Slot 0: PCM16 of odd length. Slot 2: a DTMF digit that is not one. Slot 1 carries on.
    l.sendFrames([frame(0, 1, pcm(641)), frame(1, 1)]);
    const badDtmf = new TextEncoder().encode(JSON.stringify({ type: "dtmf", callId: c, digit: "Z" })); // our encoder refuses to build it
    l.sendRaw(record(RecordKind.Control, badDtmf.byteLength, badDtmf));
    await waitFor(() => l.controls("call.end").length >= 2, { timeoutMs: 10_000, what: "the two bad calls to end" });
    const ends = l.controls("call.end");
    expect(ends.map((e) => e.callId).sort()).toEqual([a, c].sort());
    expect(ends.find((e) => e.callId === a)?.code).toBe("LINK_FRAME_PAYLOAD_MISALIGNED");
    expect(ends.find((e) => e.callId === c)?.code).toBe("LINK_CONTROL_INVALID");
    for (let seq = 2; seq < 10; seq++) l.sendFrames([frame(1, seq)]);
    await waitFor(() => l.frames(1).length >= 10, { timeoutMs: 10_000, what: "slot 1's echo after the errors" });
    expect(l.closeInfo).toBeUndefined();
    expect(l.frames(1).map((f) => f.payload.byteLength).every((n) => n === 640)).toBe(true);
  });
});

describe("into the relay", () => {
  let stub: CloudStub;
  let relay: RelayProcess;

  beforeAll(async () => {
    stub = await CloudStub.start({ echo: true });
    relay = await startRelayProcess({
      cloudUrl: stub.baseUrl,
      relayToken: TEST_TOKEN,
      env: { CALL_SOCKET_WAIT_MS: "0", PLAYBACK_MODE: "stream", LINK_BACKOFF_MIN_MS: "50", LINK_BACKOFF_MAX_MS: "200", LINK_GRACE_MS: "10000", ESL_PORT: "1" },
    });
    await stub.connection(0, 15_000);
  });
  afterAll(async () => {
    await relay?.stop();
    await stub?.close();
  });

  const newCall = (callId = randomUUID()) => ({ callId, call: new SimulatedAudioStream({ port: relay.audioPort, secretaryId: randomUUID(), callId, callerNumber: "5511999990000" }) });

  const junk: [string, (n: number) => Uint8Array | string, string][] = [
    ["garbage bytes", () => randomBytes(200), "LINK_BAD_MAGIC"],
    ["a record of 64 MiB announced", () => record(RecordKind.AudioBundle, 64 * 1024 * 1024, pcm(32)), "LINK_RECORD_TOO_LARGE"],
    ["a text message that is not pong", () => "pong?", "LINK_UNEXPECTED_TEXT"],
  ];

  it.each(junk)("closes with 4400 on %s, reconnects, and the call goes on", async (_what, bytes) => {
    const { call, callId } = newCall();
    await call.connect();
    const streaming = call.stream(speech16k(3));
    const index = stub.connections.length - 1;
    const conn = await stub.connection(index);
    await call.waitForBytes(640 * 10, 5000);
    conn.sendRaw(bytes(0));
    const closed = await conn.closed(5000);
    expect(closed.code).toBe(4400);
    const next = await stub.connection(index + 1, 10_000);
    await waitFor(() => next.controls("call.resume").some((r) => r.callId === callId), { timeoutMs: 5000, what: "the call's resume" });
    await streaming;
    const before = call.receivedByteCount;
    await waitFor(() => next.frames().length > 10, { timeoutMs: 5000, what: "audio on the new connection" });
    await call.waitForBytes(before + 640, 5000).catch(() => undefined);
    expect(call.closeCode).toBeUndefined();
    await call.close();
  });

  it("ends only the call whose down frame is malformed", async () => {
    const [good, bad] = [newCall(), newCall()];
    await Promise.all([good.call.connect(), bad.call.connect()]);
    const streams = [good.call.stream(speech16k(3)), bad.call.stream(speech16k(3))];
    const conn = await stub.connection(stub.connections.length - 1);
    const startOf = (callId: string) => conn.controls("call.start").find((s) => s.callId === callId);
    await waitFor(() => startOf(good.callId) !== undefined && startOf(bad.callId) !== undefined, { timeoutMs: 5000, what: "both calls" });
    const badSlot = startOf(bad.callId)?.slot as number;
    conn.sendFrames([{ ...frame(badSlot, 1), direction: Direction.Down, encoding: 9 as Encoding }]);
    await waitFor(() => conn.controls("call.end").some((e) => e.callId === bad.callId), { timeoutMs: 5000, what: "the bad call's end" });
    expect(conn.controls("call.end").find((e) => e.callId === bad.callId)?.code).toBe("LINK_FRAME_BAD_ENCODING");
    const goodSlot = startOf(good.callId)?.slot as number;
    const framesBefore = conn.frames(goodSlot).length;
    await waitFor(() => conn.frames(goodSlot).length > framesBefore + 20, { timeoutMs: 5000, what: "the good call's audio after" });
    expect(conn.closeInfo).toBeUndefined();
    expect(conn.controls("call.end").some((e) => e.callId === good.callId)).toBe(false);
    await Promise.all(streams);
    await Promise.all([good.call.close(), bad.call.close()]);
  });
});
