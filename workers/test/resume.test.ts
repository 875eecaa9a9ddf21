/**
 * Link drops and reconnects: the newer socket replaces the older, calls are
 * resumed on the same CallSession (same name, same state), and what the hub
 * and the sessions keep survives their objects being evicted.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { AudioFrame } from "../../shared/link/index.js";
import { CallRoutes } from "../hub/call-routes.js";
import { callResume, callStart, eventually, TestRelay, upFrame } from "./relay-link.js";

const relayId = env.RELAY_ID ?? "";
const hubStub = () => env.RELAY_HUB.get(env.RELAY_HUB.idFromName(relayId));
const session = (callId: string) => env.CALL_SESSION.get(env.CALL_SESSION.idFromName(`${relayId}/${callId}`));

let open: TestRelay[] = [];
afterEach(() => {
  for (const r of open) r.close();
  open = [];
});
async function ready(): Promise<TestRelay> {
  const { relay } = await TestRelay.ready();
  open.push(relay);
  return relay;
}
const frames = (slot: number, from: number, count: number): AudioFrame[] => Array.from({ length: count }, (_, i) => upFrame(slot, from + i));
const payloads = (fs: AudioFrame[]) => fs.map((f) => [...f.payload]);

describe("reconnects", () => {
  it("a new connection of the same relay closes the old one with 4409 replaced", async () => {
    const first = await ready();
    const second = await ready();
    expect(await first.waitForClose()).toEqual({ code: 4409, reason: "replaced" });
    expect(second.closeEvent).toBeUndefined();
    expect((await hubStub().stats()).connected).toBe(true);
  });

  it("call.resume after a reconnect reaches the same CallSession: resumes=1, down seq continues", async () => {
    const callId = crypto.randomUUID();
    const first = await ready();
    first.send([callStart(callId, 7)], frames(7, 0, 5));
    const before = await first.waitForFrames(7, 5);
    expect(before.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);

    const second = await ready();
    await first.waitForClose();
    // Slots belong to a connection: before the resume, the call's frames are not routed.
    second.send([callResume(callId, 7)], frames(7, 5, 5));
    const after = await second.waitForFrames(7, 5);
    expect(after.map((f) => f.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(payloads(after)).toEqual(payloads(frames(7, 5, 5)));
    expect(await session(callId).status()).toMatchObject({ started: true, ended: false, resumes: 1, framesIn: 10, framesOut: 10, callId, relayId });
  });

  it("a link drop does not end the calls; frames sent before the resume are unknown-slot drops", async () => {
    const callId = crypto.randomUUID();
    const first = await ready();
    first.send([callStart(callId, 8)], frames(8, 0, 2));
    await first.waitForFrames(8, 2);
    first.close();
    await first.waitForClose();
    const second = await ready();
    const dropsBefore = (await hubStub().stats()).unknownSlotFrames;
    second.send([], frames(8, 2, 2));
    await eventually(() => hubStub().stats(), (s) => s.unknownSlotFrames === dropsBefore + 2);
    second.send([callResume(callId, 8)], frames(8, 4, 2));
    const back = await second.waitForFrames(8, 2);
    expect(payloads(back)).toEqual(payloads(frames(8, 4, 2)));
    expect(await session(callId).status()).toMatchObject({ ended: false, resumes: 1 });
  });

  it("a second call.start of a known call counts as a resume and keeps the session's state", async () => {
    const callId = crypto.randomUUID();
    const relay = await ready();
    relay.send([callStart(callId, 9)], frames(9, 0, 3));
    await relay.waitForFrames(9, 3);
    relay.send([callStart(callId, 9)], frames(9, 3, 1));
    const back = await relay.waitForFrames(9, 4);
    expect(back.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(await session(callId).status()).toMatchObject({ resumes: 1, framesIn: 4 });
  });

  it("call.end for a call that ended while the link was down ends its session, before any resume", async () => {
    const [ended, live] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await ready();
    first.send([callStart(ended, 15), callStart(live, 16)], [...frames(15, 0, 1), ...frames(16, 0, 1)]);
    await Promise.all([first.waitForFrames(15, 1), first.waitForFrames(16, 1)]);
    first.close();
    await first.waitForClose();
    const second = await ready();
    // What the relay sends after a reconnect: ends first (they free slots), then resumes.
    second.send([{ type: "call.end", callId: ended, reason: "stream-closed" }, callResume(live, 16), callStart(crypto.randomUUID(), 15)], frames(16, 1, 1));
    await second.waitForFrames(16, 1);
    expect(await eventually(() => session(ended).status(), (s) => s.ended)).toMatchObject({ endReason: "stream-closed", framesIn: 1 });
    expect(await session(live).status()).toMatchObject({ ended: false, resumes: 1 });
    expect(second.controls().filter((m) => m.type === "call.end")).toEqual([]);
  });

  it("calls not resumed within the grace period are ended by the hub's alarm; resumed ones are kept", async () => {
    const [orphan, resumed] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await ready();
    first.send([callStart(orphan, 17), callStart(resumed, 18)], [...frames(17, 0, 1), ...frames(18, 0, 1)]);
    await Promise.all([first.waitForFrames(17, 1), first.waitForFrames(18, 1)]);
    const second = await ready();
    second.send([callResume(resumed, 18)], frames(18, 1, 1));
    await second.waitForFrames(18, 1);
    const before = (await hubStub().stats()).callsOrphaned;
    expect(await runDurableObjectAlarm(hubStub())).toBe(true);
    expect(await eventually(() => session(orphan).status(), (s) => s.ended)).toMatchObject({ endReason: "orphaned:not-resumed" });
    expect(await session(resumed).status()).toMatchObject({ ended: false });
    expect((await hubStub().stats()).callsOrphaned).toBeGreaterThanOrEqual(before + 1);
    second.send([], frames(18, 2, 1)); // the resumed call still echoes
    await second.waitForFrames(18, 2);
    // A relay that comes back for the orphan too late is told the call is over.
    second.send([callResume(orphan, 17)]);
    expect(await second.waitForControl("call.end", (m) => m.callId === orphan)).toMatchObject({ reason: "session-ended" });
    expect(await runInDurableObject(hubStub(), (_h, state) => new CallRoutes(state.storage).forCall(orphan))).toBeUndefined();
  });

  it("with no link at all when the alarm fires, every call is ended", async () => {
    const callId = crypto.randomUUID();
    const relay = await ready();
    relay.send([callStart(callId, 19)], frames(19, 0, 1));
    await relay.waitForFrames(19, 1);
    relay.close();
    await relay.waitForClose();
    await eventually(() => hubStub().stats(), (s) => !s.connected);
    expect(await runDurableObjectAlarm(hubStub())).toBe(true);
    expect(await eventually(() => session(callId).status(), (s) => s.ended)).toMatchObject({ endReason: "orphaned:not-resumed" });
    expect((await hubStub().stats()).calls).toBe(0);
  });

  it("a restarted relay reusing a slot: the new call gets it, the old unresumed call is ended", async () => {
    const [old, fresh] = [crypto.randomUUID(), crypto.randomUUID()];
    const first = await ready();
    first.send([callStart(old, 20)], frames(20, 0, 1));
    await first.waitForFrames(20, 1);
    const second = await ready();
    second.send([callStart(fresh, 20)], frames(20, 5, 2));
    expect(payloads(await second.waitForFrames(20, 2))).toEqual(payloads(frames(20, 5, 2)));
    expect(await eventually(() => session(old).status(), (s) => s.ended)).toMatchObject({ endReason: "orphaned:slot-reused" });
    expect(second.controls().filter((m) => m.type === "call.end")).toEqual([]);
  });

  it("a call.start on a slot another call holds is refused with LINK_SLOT_IN_USE; the holder is untouched", async () => {
    const [holder, intruder] = [crypto.randomUUID(), crypto.randomUUID()];
    const relay = await ready();
    relay.send([callStart(holder, 12), callStart(intruder, 12)], frames(12, 0, 2));
    expect(await relay.waitForControl("call.end", (m) => m.callId === intruder)).toMatchObject({ code: "LINK_SLOT_IN_USE" });
    expect(payloads(await relay.waitForFrames(12, 2))).toEqual(payloads(frames(12, 0, 2)));
    expect((await session(intruder).status()).started).toBe(false);
  });
});

describe("state that survives eviction", () => {
  it("the hub's slot table is in SQLite and reloads with the object", async () => {
    const callId = crypto.randomUUID();
    const relay = await ready();
    relay.send([callStart(callId, 13)], frames(13, 0, 1));
    await relay.waitForFrames(13, 1);
    const reloaded = await runInDurableObject(hubStub(), (_hub, state) => new CallRoutes(state.storage).forSlot(13));
    expect(reloaded).toMatchObject({ callId, slot: 13, rejected: false });
    expect(reloaded?.connectionId).toBeGreaterThan(0);
  });

  it("a session evicted and reloaded keeps its counters and never repeats a down seq", async () => {
    const callId = crypto.randomUUID();
    const relay = await ready();
    relay.send([callStart(callId, 14)], frames(14, 0, 4));
    await relay.waitForFrames(14, 4);
    relay.close();
    await abortAllDurableObjects();
    const status = await session(callId).status();
    expect(status).toMatchObject({ started: true, ended: false, framesIn: 4, framesOut: 4 });
    expect(status.nextDownSeq).toBeGreaterThanOrEqual(4);
    const second = await ready();
    second.send([callResume(callId, 14)], frames(14, 4, 1));
    const [next] = await second.waitForFrames(14, 1);
    expect(next?.seq).toBe(status.nextDownSeq);
  });
});
