import { describe, expect, it } from "vitest";
import { Direction, Encoding, encodeControl } from "../../shared/link/index.js";
import { CallRegistry, announceCall, type CallInfo } from "./registry.js";

const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;
const info = (n: number, rate: 8000 | 16000 = 16000): CallInfo => ({ callId: id(n), caller: { number: `+55119${n}` }, audio: { encoding: "L16", sampleRate: rate } });

describe("CallRegistry", () => {
  it("gives each call the lowest free slot and finds it both ways", () => {
    const r = new CallRegistry<string>();
    const slots = [1, 2, 3].map((n) => {
      const added = r.add(info(n), `h${n}`);
      if (!added.ok) throw new Error(added.reason);
      return added.call.slot;
    });
    expect(slots).toEqual([0, 1, 2]);
    expect(r.get(id(2))?.slot).toBe(1);
    expect(r.atSlot(2)?.info.callId).toBe(id(3));
    expect(r.atSlot(2)?.handler).toBe("h3");
    expect(r.size).toBe(3);
  });

  it("reuses a freed slot, lowest first, and never puts two live calls on one", () => {
    const r = new CallRegistry<null>();
    for (let n = 1; n <= 4; n++) r.add(info(n), null);
    r.remove(id(3));
    r.remove(id(2));
    const a = r.add(info(5), null);
    const b = r.add(info(6), null);
    const c = r.add(info(7), null);
    expect([a, b, c].map((x) => (x.ok ? x.call.slot : -1))).toEqual([1, 2, 4]);
    const live = r.list().map((x) => x.slot);
    expect(new Set(live).size).toBe(live.length);
  });

  it("refuses a call UUID that is already live, and a full table", () => {
    const r = new CallRegistry<null>(2);
    expect(r.add(info(1), null).ok).toBe(true);
    expect(r.add(info(1), null)).toEqual({ ok: false, reason: "duplicate" });
    expect(r.add(info(2), null).ok).toBe(true);
    expect(r.add(info(3), null)).toEqual({ ok: false, reason: "full" });
    expect(r.remove(id(9))).toBeUndefined();
    expect(r.remove(id(1))?.slot).toBe(0);
    expect(r.remove(id(1))).toBeUndefined();
    expect(r.add(info(3), null)).toMatchObject({ ok: true, call: { slot: 0 } });
  });

  it("numbers upstream frames and clocks them by samples, whatever their size", () => {
    const r = new CallRegistry<null>();
    const added = r.add(info(1), null);
    if (!added.ok) throw new Error("not added");
    const sizes = [640, 320, 1920, 640];
    const frames = sizes.map((size) => r.nextUpFrame(added.call, new Uint8Array(size)));
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(frames.map((f) => f.timestampMs)).toEqual([0, 20, 30, 90]);
    expect(frames[0]).toMatchObject({ slot: 0, direction: Direction.Up, encoding: Encoding.L16, sampleRate: 16000 });
  });

  it("clocks 8 kHz and wraps seq and timestamp at 2^32", () => {
    const r = new CallRegistry<null>();
    const added = r.add(info(1, 8000), null);
    if (!added.ok) throw new Error("not added");
    expect(r.nextUpFrame(added.call, new Uint8Array(320)).timestampMs).toBe(0);
    expect(r.nextUpFrame(added.call, new Uint8Array(320)).timestampMs).toBe(20);
    added.call.upSeq = 0xffffffff;
    added.call.upSamples = 2 ** 32 * 8; // 2^32 ms of audio at 8 kHz
    const f = r.nextUpFrame(added.call, new Uint8Array(2));
    expect(f.seq).toBe(0xffffffff);
    expect(f.timestampMs).toBe(0);
    expect(r.nextUpFrame(added.call, new Uint8Array(2)).seq).toBe(0);
  });

  it("announces a call with everything call.start needs, valid for the codec", () => {
    const r = new CallRegistry<null>();
    const added = r.add({ ...info(1), secretaryId: id(7), destination: "8000" }, null);
    if (!added.ok) throw new Error("not added");
    const start = announceCall(added.call, "call.start");
    expect(start).toMatchObject({ type: "call.start", callId: id(1), slot: 0, secretaryId: id(7), destination: "8000", caller: { number: "+551191" } });
    expect(() => encodeControl(start)).not.toThrow();
    const resume = JSON.parse(new TextDecoder().decode(encodeControl(announceCall(added.call, "call.resume")))) as Record<string, unknown>;
    expect(resume).toEqual({ type: "call.resume", callId: id(1), slot: 0, secretaryId: id(7), caller: { number: "+551191" }, destination: "8000", audio: { encoding: "L16", sampleRate: 16000 } });
  });
});
