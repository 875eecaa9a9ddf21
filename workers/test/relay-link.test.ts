/**
 * A relay's whole session with the cloud over a real WebSocket: handshake,
 * calls echoed by their CallSessions, per-call errors, link-level errors.
 * Every test connects afresh (the hub of the test relay replaces the previous
 * socket), so tests do not depend on each other's state.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Encoding, type AudioFrame } from "../../shared/link/index.js";
import type { CallSessionStatus } from "../call-session.js";
import { CallRoutes } from "../hub/call-routes.js";
import type { HubStats } from "../relay-hub.js";
import { callStart, eventually, hello, TestRelay, upFrame } from "./relay-link.js";

const relayId = env.RELAY_ID ?? "";
const hub = () => env.RELAY_HUB.get(env.RELAY_HUB.idFromName(relayId));
const session = (callId: string) => env.CALL_SESSION.get(env.CALL_SESSION.idFromName(`${relayId}/${callId}`));

let open: TestRelay[] = [];
async function ready(): Promise<TestRelay> {
  const { relay } = await TestRelay.ready();
  open.push(relay);
  return relay;
}
async function connect(): Promise<TestRelay> {
  const relay = await TestRelay.connect();
  open.push(relay);
  return relay;
}
afterEach(() => {
  for (const r of open) r.close();
  open = [];
});

function frames(slot: number, from: number, count: number): AudioFrame[] {
  return Array.from({ length: count }, (_, i) => upFrame(slot, from + i));
}

/** Whether the hub's stored call table still holds the call. */
const hubKnows = (callId: string) => runInDurableObject(hub(), (_hub, state) => new CallRoutes(state.storage).forCall(callId) !== undefined);
const waitForStats = (check: (s: HubStats) => boolean) => eventually(() => hub().stats(), check);
const waitForStatus = (callId: string, check: (s: CallSessionStatus) => boolean) => eventually(() => session(callId).status(), check);

describe("handshake", () => {
  it("hello gets a welcome with the token's relay id, the limits and the heartbeat interval", async () => {
    const { relay, welcome } = await TestRelay.ready();
    open.push(relay);
    expect(welcome).toEqual({ type: "welcome", protocolVersion: 1, relayId, limits: { ...DEFAULT_LIMITS }, heartbeatIntervalMs: 2000 });
  });

  it("a ping text message is answered pong by the runtime", async () => {
    const relay = await ready();
    relay.sendRaw("ping");
    await relay.waitUntil("pong", () => (relay.texts.includes("pong") ? true : undefined));
    expect(relay.texts).toEqual(["pong"]);
  });

  it("anything but hello first closes with 4400 and an error saying why", async () => {
    const relay = await connect();
    relay.send([callStart(crypto.randomUUID(), 1)]);
    expect((await relay.waitForClose()).code).toBe(4400);
    expect(relay.controls()).toMatchObject([{ type: "error", code: "LINK_HANDSHAKE_REQUIRED", consequence: "close-link" }]);
  });

  it("a relay speaking only newer versions gets LINK_VERSION_UNSUPPORTED and 4426", async () => {
    const relay = await connect();
    relay.send([hello({ protocolVersion: 7, minProtocolVersion: 5 })]);
    expect((await relay.waitForClose()).code).toBe(4426);
    expect(relay.controls()).toMatchObject([{ type: "error", code: "LINK_VERSION_UNSUPPORTED", consequence: "close-link" }]);
  });

  it("garbage bytes close the link with 4400 and the codec's error code", async () => {
    const relay = await ready();
    relay.sendRaw(new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]));
    expect((await relay.waitForClose()).code).toBe(4400);
    expect(relay.controls().at(-1)).toMatchObject({ type: "error", code: "LINK_BAD_MAGIC", consequence: "close-link" });
  });

  it("a text message other than ping is a protocol error (4400)", async () => {
    const relay = await ready();
    relay.sendRaw("hello?");
    expect((await relay.waitForClose()).code).toBe(4400);
  });
});

describe("calls through the echo secretary", () => {
  it("echoes a call's audio byte-exact, in order, on its slot, with down seq from 0", async () => {
    const relay = await ready();
    const callId = crypto.randomUUID();
    // call.start shares the message with the first frames, as the protocol allows.
    relay.send([callStart(callId, 3)], frames(3, 0, 5));
    await relay.waitForFrames(3, 5);
    relay.send([], frames(3, 5, 5));
    await relay.waitForFrames(3, 10);
    relay.send([], frames(3, 10, 5));
    const back = await relay.waitForFrames(3, 15);
    const sent = frames(3, 0, 15);
    expect(back.map((f) => f.seq)).toEqual(sent.map((_, i) => i));
    back.forEach((f, i) => {
      expect(f.direction).toBe(1);
      expect(f.encoding).toBe(Encoding.L16);
      expect(f.sampleRate).toBe(16000);
      expect([...f.payload]).toEqual([...(sent[i] as AudioFrame).payload]);
    });
    const status = await session(callId).status();
    expect(status).toMatchObject({ started: true, ended: false, framesIn: 15, framesOut: 15, resumes: 0 });
  });

  it("two calls at once, frames interleaved in shared bundles, each echo on its own slot", async () => {
    const relay = await ready();
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    // Four messages, each bundling 3 frames of each call, interleaved.
    for (let m = 0; m < 4; m++) {
      const bundle = [0, 1, 2].flatMap((i) => [upFrame(10, m * 3 + i), upFrame(11, m * 3 + i)]);
      relay.send(m === 0 ? [callStart(a, 10), callStart(b, 11)] : [], bundle);
      await Promise.all([relay.waitForFrames(10, m * 3 + 3), relay.waitForFrames(11, m * 3 + 3)]);
    }
    const [backA, backB] = [await relay.waitForFrames(10, 12), await relay.waitForFrames(11, 12)];
    expect(backA.map((f) => [...f.payload])).toEqual(frames(10, 0, 12).map((f) => [...f.payload]));
    expect(backB.map((f) => [...f.payload])).toEqual(frames(11, 0, 12).map((f) => [...f.payload]));
    expect(backA.map((f) => f.seq)).toEqual([...Array(12).keys()]);
  });

  it("frames for a slot nobody announced are dropped and counted", async () => {
    const relay = await ready();
    const before = (await hub().stats()).unknownSlotFrames;
    relay.send([], frames(999, 0, 3));
    const after = await waitForStats((s) => s.unknownSlotFrames >= before + 3);
    expect(after.unknownSlotFrames).toBe(before + 3);
    expect(relay.framesFor(999)).toEqual([]);
  });

  it("a malformed frame ends only its call: error + call.end for it, the other call keeps echoing", async () => {
    const relay = await ready();
    const [good, bad] = [crypto.randomUUID(), crypto.randomUUID()];
    relay.send([callStart(good, 20), callStart(bad, 21)], [...frames(20, 0, 2), ...frames(21, 0, 2)]);
    await relay.waitForFrames(21, 2);
    const broken: AudioFrame = { ...upFrame(21, 2), encoding: 9 as Encoding };
    relay.send([], [upFrame(20, 2), broken, upFrame(21, 3)]);
    const error = await relay.waitForControl("error", (m) => m.callId === bad);
    expect(error).toMatchObject({ code: "LINK_FRAME_BAD_ENCODING", consequence: "end-call" });
    expect(await relay.waitForControl("call.end", (m) => m.callId === bad)).toMatchObject({ code: "LINK_FRAME_BAD_ENCODING" });
    // The bad call's slot is forgotten: its later frames are unknown-slot drops, not echoes.
    relay.send([], [...frames(20, 3, 2), upFrame(21, 4)]);
    const goodBack = await relay.waitForFrames(20, 5);
    expect(goodBack.map((f) => [...f.payload])).toEqual(frames(20, 0, 5).map((f) => [...f.payload]));
    expect(relay.framesFor(21)).toHaveLength(2);
    expect(await hubKnows(bad)).toBe(false);
    expect(await hubKnows(good)).toBe(true);
    const badStatus = await waitForStatus(bad, (s) => s.ended);
    expect(badStatus.endReason).toBe("error:LINK_FRAME_BAD_ENCODING");
    expect(await session(good).status()).toMatchObject({ ended: false, framesIn: 5 });
    expect(relay.closeEvent).toBeUndefined();
  });

  it("an invalid control naming a call ends that call only", async () => {
    const relay = await ready();
    const [good, bad] = [crypto.randomUUID(), crypto.randomUUID()];
    relay.send([callStart(good, 30), callStart(bad, 31)], [upFrame(30, 0), upFrame(31, 0)]);
    await relay.waitForFrames(31, 1);
    relay.sendUnchecked({ type: "dtmf", callId: bad, digit: "X" }, frames(30, 1, 2));
    expect(await relay.waitForControl("call.end", (m) => m.callId === bad)).toMatchObject({ code: "LINK_CONTROL_INVALID" });
    await relay.waitForFrames(30, 3);
    expect((await waitForStatus(bad, (s) => s.ended)).endReason).toBe("error:LINK_CONTROL_INVALID");
    expect(relay.controls().some((m) => m.type === "call.end" && m.callId === good)).toBe(false);
  });

  it("call.end from the relay ends the session and frees the slot", async () => {
    const relay = await ready();
    const callId = crypto.randomUUID();
    relay.send([callStart(callId, 40)], frames(40, 0, 2));
    await relay.waitForFrames(40, 2);
    relay.send([{ type: "call.end", callId, reason: "hangup", cause: "NORMAL_CLEARING" }]);
    await eventually(() => hubKnows(callId), (known) => !known);
    const status = await waitForStatus(callId, (s) => s.ended);
    expect(status).toMatchObject({ endReason: "hangup", framesIn: 2 });
  });

  it("echo_delay_ms holds the echo until due; it leaves with a later audio message", async () => {
    const relay = await ready();
    const callId = crypto.randomUUID();
    relay.send([callStart(callId, 50, { variables: { echo_delay_ms: "300" } })], frames(50, 0, 3));
    await waitForStatus(callId, (s) => s.framesIn === 3); // the first message has landed before the next leaves
    await new Promise((r) => setTimeout(r, 100));
    relay.send([], frames(50, 3, 1));
    await waitForStatus(callId, (s) => s.framesIn === 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(relay.framesFor(50)).toEqual([]); // nothing due yet
    await new Promise((r) => setTimeout(r, 300));
    relay.send([], frames(50, 4, 1)); // 300 ms after the fourth frame: the first four are due, this one is not
    const back = await relay.waitForFrames(50, 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(relay.framesFor(50).map((f) => [...f.payload])).toEqual(frames(50, 0, 4).map((f) => [...f.payload]));
    expect(back[0]?.timestampMs).toBe(300);
    expect((await session(callId).status()).echoDelayMs).toBe(300);
  });

  it("dtmf, playback.event and command.result reach the call's session, after the call's earlier frames", async () => {
    const relay = await ready();
    const callId = crypto.randomUUID();
    relay.send([callStart(callId, 60)], frames(60, 0, 2));
    relay.send(
      [
        { type: "dtmf", callId, digit: "5" },
        { type: "playback.event", callId, event: "finished", playedMs: 40 },
        { type: "command.result", id: "c1", callId, ok: true },
      ],
      frames(60, 2, 1),
    );
    const status = await waitForStatus(callId, (s) => s.controlsIn === 3 && s.framesIn === 3);
    expect(status).toMatchObject({ controlsIn: 3, framesIn: 3, ended: false });
    await relay.waitForFrames(60, 3);
  });

  it("controls naming a call the hub does not know are dropped and counted", async () => {
    const relay = await ready();
    const before = (await hub().stats()).unknownCallControls;
    relay.send([{ type: "dtmf", callId: crypto.randomUUID(), digit: "1" }]);
    await waitForStats((s) => s.unknownCallControls === before + 1);
    expect(relay.closeEvent).toBeUndefined();
  });
});

describe("pushDownlink", () => {
  it("sends a session's output to the relay on the call's slot, controls first", async () => {
    const relay = await ready();
    const callId = crypto.randomUUID();
    relay.send([callStart(callId, 70)], frames(70, 0, 1));
    await relay.waitForFrames(70, 1);
    const payload = new Uint8Array([1, 2, 3, 4]);
    const pushed = await hub().pushDownlink(callId, {
      controls: [{ type: "playback.clear", callId, reason: "barge-in" }],
      frames: [{ seq: 99, timestampMs: 5, encoding: Encoding.L16, sampleRate: 16000, payload }],
    });
    expect(pushed).toBe(true);
    await relay.waitForControl("playback.clear", (m) => m.callId === callId);
    const [, last] = await relay.waitForFrames(70, 2);
    expect(last).toMatchObject({ slot: 70, direction: 1, seq: 99 });
    expect([...(last?.payload ?? [])]).toEqual([1, 2, 3, 4]);
  });

  it("refuses a call the hub does not carry", async () => {
    await ready();
    expect(await hub().pushDownlink(crypto.randomUUID(), { controls: [], frames: [] })).toBe(false);
  });
});
