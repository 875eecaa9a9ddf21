/**
 * Link drops and reconnects: the newer socket replaces the older, calls are
 * resumed on the same CallSession (same name, same state), and what the hub
 * and the sessions keep survives their objects being evicted.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
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
    expect(reloaded).toEqual({ callId, slot: 13, rejected: false });
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
