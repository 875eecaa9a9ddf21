import { describe, expect, it } from "vitest";
import { maskingProtectsNothing } from "./link-socket.js";

describe("link frame masking", () => {
  it("is skipped only where no intermediary can exist: loopback (TLS is not enough: a TLS-inspecting proxy reads the frames)", () => {
    for (const url of ["ws://127.0.0.1:8787/v1/relay/connect", "ws://localhost:8787/v1/relay/connect", "ws://[::1]:8787/v1/relay/connect"]) {
      expect(maskingProtectsNothing(url), url).toBe(true);
    }
    for (const url of ["wss://voice.example.com/v1/relay/connect", "https://voice.example.com", "ws://voice.example.com/v1/relay/connect", "ws://10.0.0.5:8787/v1/relay/connect", "not a url"]) {
      expect(maskingProtectsNothing(url), url).toBe(false);
    }
  });
});
