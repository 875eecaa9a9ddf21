import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, Direction, Encoding, LinkDecoder } from "../shared/link/index.js";
import { encodeDownlink, type DownFrame } from "./downlink.js";

const callId = "0b7c3f0e-1d2a-4e5b-8c9d-0a1b2c3d4e5f";
const down = (seq: number, bytes = 320): DownFrame => ({
  seq,
  timestampMs: seq * 10,
  encoding: Encoding.L16,
  sampleRate: 16000,
  payload: new Uint8Array(bytes).fill(seq & 0xff),
});

describe("encodeDownlink", () => {
  it("puts the controls first, then the frames on the call's slot, direction Down", () => {
    const bytes = encodeDownlink({ controls: [{ type: "playback.clear", callId }], frames: [down(0), down(1)] }, 42);
    const items = new LinkDecoder().decodeMessage(bytes);
    expect(items[0]).toMatchObject({ kind: "control", message: { type: "playback.clear", callId } });
    const frames = items.slice(1).map((i) => (i.kind === "audio" ? i.frame : undefined));
    expect(frames.map((f) => [f?.slot, f?.direction, f?.seq])).toEqual([
      [42, Direction.Down, 0],
      [42, Direction.Down, 1],
    ]);
    expect([...(frames[1]?.payload ?? [])]).toEqual([...down(1).payload]);
  });

  it("splits frames over several bundles so none exceeds the relay's default limits", () => {
    const many = Array.from({ length: DEFAULT_LIMITS.maxFramesPerBundle + 10 }, (_, i) => down(i, 2));
    const big = Array.from({ length: 40 }, (_, i) => down(i, 60_000));
    for (const frames of [many, big]) {
      const items = new LinkDecoder().decodeMessage(encodeDownlink({ controls: [], frames }, 1));
      expect(items.map((i) => (i.kind === "audio" ? i.frame.seq : -1))).toEqual(frames.map((f) => f.seq));
    }
  });
});
