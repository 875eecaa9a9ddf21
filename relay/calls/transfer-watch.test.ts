/**
 * A supervised transfer's outcome from the call's events (pure, fake
 * timers): answered on CHANNEL_BRIDGE, busy or no answer from the bridge's
 * originate_disposition, our timeout while ringing, a destination that
 * never bridges, a stale completion from an earlier bridge, and FreeSWITCH's
 * own events classified by call-events.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EslEvent } from "../esl/parser.js";
import { channelEvent } from "./call-events.js";
import { TransferWatch, type TransferEnd } from "./transfer-watch.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function outcome(watch: TransferWatch): Promise<TransferEnd | undefined> {
  let end: TransferEnd | undefined;
  void watch.done.then((e) => (end = e));
  await vi.advanceTimersByTimeAsync(0);
  return end;
}

describe("TransferWatch", () => {
  it("bridge then CHANNEL_BRIDGE: answered", async () => {
    const w = new TransferWatch(30_000, "200");
    w.onEvent({ kind: "bridge-start", app: "a1" });
    expect(w.ringing).toBe(true);
    expect(await outcome(w)).toBeUndefined();
    w.onEvent({ kind: "bridged" });
    expect(await outcome(w)).toEqual({ kind: "answered" });
    expect(w.ringing).toBe(false);
  });

  it("the bridge fails: busy, no answer, or another cause, each with its code", async () => {
    const cases: [string | undefined, string][] = [
      ["USER_BUSY", "TRANSFER_BUSY"],
      ["CALL_REJECTED", "TRANSFER_BUSY"],
      ["NO_ANSWER", "TRANSFER_NO_ANSWER"],
      ["NO_USER_RESPONSE", "TRANSFER_NO_ANSWER"],
      ["UNALLOCATED_NUMBER", "TRANSFER_FAILED"],
      [undefined, "TRANSFER_FAILED"],
    ];
    for (const [disposition, code] of cases) {
      const w = new TransferWatch(30_000, "201");
      w.onEvent({ kind: "bridge-start", app: "a1" });
      w.onEvent({ kind: "bridge-end", app: "a1", disposition });
      expect(await outcome(w)).toMatchObject({ kind: "unanswered", code });
    }
  });

  it("our timeout while it rings: no answer; with no bridge at all: delivered", async () => {
    const ringing = new TransferWatch(5000, "202");
    ringing.onEvent({ kind: "bridge-start", app: "a1" });
    const ivr = new TransferWatch(5000, "5000");
    await vi.advanceTimersByTimeAsync(4999);
    expect(await outcome(ringing)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome(ringing)).toEqual({ kind: "unanswered", code: "TRANSFER_NO_ANSWER", why: "202 did not answer within 5 s" });
    expect(await outcome(ivr)).toEqual({ kind: "delivered" });
  });

  it("a completion from an earlier bridge, or a bridge event before any bridge of ours, is not this transfer's", async () => {
    const w = new TransferWatch(30_000, "200");
    w.onEvent({ kind: "bridge-end", app: "old", disposition: "ORIGINATOR_CANCEL" });
    w.onEvent({ kind: "bridged" });
    w.onEvent({ kind: "bridge-start", app: "new" });
    w.onEvent({ kind: "bridge-end", app: "old", disposition: "ORIGINATOR_CANCEL" });
    expect(await outcome(w)).toBeUndefined();
    w.onEvent({ kind: "bridge-end", app: "new", disposition: "USER_BUSY" });
    expect(await outcome(w)).toMatchObject({ code: "TRANSFER_BUSY" });
  });

  it("the caller hangs up, or the watch is cancelled: hangup, once; later events change nothing", async () => {
    const w = new TransferWatch(30_000, "200");
    w.onEvent({ kind: "bridge-start", app: "a1" });
    w.onEvent({ kind: "hangup", cause: "NORMAL_CLEARING" });
    w.onEvent({ kind: "bridged" });
    expect(await outcome(w)).toEqual({ kind: "hangup" });
    const c = new TransferWatch(30_000, "200");
    c.cancel();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await outcome(c)).toEqual({ kind: "hangup" });
  });
});

describe("channelEvent: the bridge's events as FreeSWITCH writes them", () => {
  it("CHANNEL_EXECUTE / _COMPLETE of bridge, CHANNEL_BRIDGE; other applications are not the bridge", () => {
    const ev = (name: string, headers: [string, string][]): EslEvent => ({ name, headers: new Map(headers) });
    expect(channelEvent(ev("CHANNEL_EXECUTE", [["Application", "bridge"], ["Application-UUID", "u1"]]))).toEqual({ kind: "bridge-start", app: "u1" });
    expect(channelEvent(ev("CHANNEL_EXECUTE_COMPLETE", [["Application", "bridge"], ["Application-UUID", "u1"], ["variable_originate_disposition", "USER_BUSY"], ["variable_DIALSTATUS", "BUSY"]]))).toEqual({
      kind: "bridge-end",
      app: "u1",
      disposition: "USER_BUSY",
    });
    expect(channelEvent(ev("CHANNEL_EXECUTE_COMPLETE", [["Application", "bridge"], ["Application-UUID", "u1"], ["variable_DIALSTATUS", "NOANSWER"]]))).toMatchObject({ disposition: "NOANSWER" });
    expect(channelEvent(ev("CHANNEL_EXECUTE_COMPLETE", [["Application", "bridge"], ["variable_originate_disposition", "X\r\napi system"]]))).toEqual({ kind: "bridge-end", app: "", disposition: undefined });
    expect(channelEvent(ev("CHANNEL_EXECUTE_COMPLETE", [["Application", "playback"], ["Application-UUID", "u2"]]))).toEqual({ kind: "other" });
    expect(channelEvent(ev("CHANNEL_BRIDGE", [["Other-Leg-Unique-ID", "b"]]))).toEqual({ kind: "bridged" });
  });
});
