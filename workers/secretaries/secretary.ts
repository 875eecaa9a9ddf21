/**
 * What a CallSession runs: the diagnostic echo today, AI providers (issue 4)
 * tomorrow. One implementation per file behind this interface, so adding a
 * provider is adding a file. Implementations get the time passed in (no
 * clock of their own), which keeps them testable without the runtime.
 */
import type { ControlInput, Encoding, SampleRate } from "../../shared/link/index.js";
import type { SessionControl, UpFrame } from "../downlink.js";

/** Agent audio before the session numbers it (the session owns the down seq). */
export interface AgentAudio {
  encoding: Encoding;
  sampleRate: SampleRate;
  timestampMs: number;
  payload: Uint8Array;
}

/** What a secretary wants sent to the relay now. */
export interface SecretaryOutput {
  audio: AgentAudio[];
  controls: ControlInput[];
}

export interface Secretary {
  /** Caller audio arrived (in order); returns what is due at `nowMs`. */
  audio(frames: readonly UpFrame[], nowMs: number): SecretaryOutput | Promise<SecretaryOutput>;
  /** A DTMF digit, playback event or command result from the relay. */
  control(message: SessionControl, nowMs: number): SecretaryOutput | Promise<SecretaryOutput>;
  /** The call is over: release whatever the secretary holds. */
  end(reason: string): void | Promise<void>;
}

export function noOutput(): SecretaryOutput {
  return { audio: [], controls: [] };
}
