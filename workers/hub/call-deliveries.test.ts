import { describe, expect, it } from "vitest";
import type { Downlink } from "../downlink.js";
import { CallDeliveries, type SessionStub } from "./call-deliveries.js";
import type { CallRoute } from "./call-routes.js";

const route = (callId: string, slot = 1): CallRoute => ({ callId, slot, connectionId: 1, rejected: false });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noSession = {} as unknown as SessionStub;

function harness() {
  const downlinks: [string, Downlink][] = [];
  const failures: [string, string][] = [];
  const deliveries = new CallDeliveries({
    session: () => noSession,
    onDownlink: (r, d) => downlinks.push([r.callId, d]),
    onFailure: (r, what, err) => failures.push([r.callId, `${what}: ${String(err)}`]),
  });
  return { deliveries, downlinks, failures };
}

describe("CallDeliveries", () => {
  it("runs one call's deliveries in order even when an earlier one is slower", async () => {
    const { deliveries } = harness();
    const order: number[] = [];
    const a = route("a");
    const done = [30, 0, 10].map((ms, i) =>
      deliveries.add(a, "r", "audio", async () => {
        await tick(ms);
        order.push(i);
      }),
    );
    await Promise.all(done);
    expect(order).toEqual([0, 1, 2]);
  });

  it("does not make one call wait for another", async () => {
    const { deliveries } = harness();
    const order: string[] = [];
    const slow = deliveries.add(route("slow"), "r", "audio", async () => {
      await tick(50);
      order.push("slow");
    });
    const fast = deliveries.add(route("fast"), "r", "audio", async () => {
      order.push("fast");
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(["fast", "slow"]);
  });

  it("hands each returned downlink to onDownlink, and a failure to onFailure without breaking the chain", async () => {
    const { deliveries, downlinks, failures } = harness();
    const a = route("a");
    const d: Downlink = { frames: [], controls: [{ type: "playback.clear", callId: "00000000-0000-0000-0000-000000000000" }] };
    await Promise.all([
      deliveries.add(a, "r", "start", async () => {
        throw new Error("boom");
      }),
      deliveries.add(a, "r", "audio", async () => d),
    ]);
    expect(failures).toEqual([["a", "start: Error: boom"]]);
    expect(downlinks).toEqual([["a", d]]);
    expect(deliveries.busyCalls).toBe(0);
  });

  it("skips queued deliveries once the route is rejected", async () => {
    const { deliveries } = harness();
    const a = route("a");
    const ran: string[] = [];
    const first = deliveries.add(a, "r", "start", async () => {
      ran.push("start");
      a.rejected = true;
    });
    const second = deliveries.add(a, "r", "audio", async () => {
      ran.push("audio");
    });
    await Promise.all([first, second]);
    expect(ran).toEqual(["start"]);
  });

  it("asks for the session named by relay and call", async () => {
    const names: string[] = [];
    const deliveries = new CallDeliveries({
      session: (relayId, callId) => {
        names.push(`${relayId}/${callId}`);
        return noSession;
      },
      onDownlink: () => undefined,
      onFailure: () => undefined,
    });
    await deliveries.add(route("c1"), "relay-9", "audio", async (s) => {
      expect(s).toBe(noSession);
    });
    expect(names).toEqual(["relay-9/c1"]);
  });
});
