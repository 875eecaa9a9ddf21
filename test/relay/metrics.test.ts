/** `GET /metrics` after a call with a command and a barge-in. */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import { rig, ramp, teardown } from "./harness.js";

afterEach(teardown);

const value = (text: string, metric: string) => Number(new RegExp(`^${metric.replace(/[{}]/g, "\\$&")} ([-\\d.e+]+)$`, "m").exec(text)?.[1]);

describe("GET /metrics", () => {
  it("reports calls, frames and bytes, playback, barge-ins, command latency, link and event socket state", async () => {
    const r = await rig();
    const call = r.sim.call();
    await call.connectSocket();
    await call.module.start();
    await waitFor(() => r.conn.controls("call.start").length === 1);
    await call.module.stream(ramp(640 * 10));
    await waitFor(() => call.played.length >= 1, { timeoutMs: 3000 });
    r.conn.sendControl({ type: "playback.clear", callId: call.callId });
    r.conn.sendControl({ type: "command", id: "p1", callId: call.callId, name: "presence", args: { extension: "200" } });
    await waitFor(() => r.conn.controls("command.result").length === 1 && r.relay.calls.counters.bargeIns === 1);
    await waitFor(() => r.relay.link.rttMs !== null);
    const res = await fetch(`http://127.0.0.1:${r.relay.addresses.health.port}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(value(text, "relay_active_calls")).toBe(1);
    expect(value(text, "relay_frames_in_total")).toBe(10);
    expect(value(text, "relay_bytes_in_total")).toBe(6400);
    expect(value(text, "relay_frames_out_total")).toBeGreaterThanOrEqual(1);
    expect(value(text, "relay_barge_ins_total")).toBe(1);
    expect(value(text, "relay_link_up")).toBe(1);
    expect(value(text, 'relay_link_state{state="up"}')).toBe(1);
    expect(value(text, "relay_link_rtt_seconds")).toBeGreaterThanOrEqual(0);
    expect(value(text, "relay_esl_up")).toBe(1);
    expect(value(text, "relay_link_reconnects_total")).toBe(0);
    expect(value(text, 'relay_command_duration_seconds_count{command="presence",ok="true"}')).toBe(1);
    expect(text).toContain("relay_playback_queue_bytes");
    expect(text).toContain("relay_esl_reconnects_total 0");
  });
});
