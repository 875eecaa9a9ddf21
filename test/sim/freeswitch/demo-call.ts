/**
 * One demo call through the simulated FreeSWITCH, for `npm start` and manual
 * runs: the dialplan's socket and audio stream reach the relay, the caller
 * speaks, the cloud's echo comes back as files FreeSWITCH plays in order,
 * then the caller hangs up. Returns what happened, in numbers.
 */
import { performance } from "node:perf_hooks";
import type { FreeSwitchSim } from "./freeswitch.js";

/** The secretary the demo dials. A real FreeSWITCH can dial it too: the local cloud echoes any secretary. */
export const DEMO_SECRETARY_ID = "5e0c0a11-0000-4000-8000-00000000ec40";

export interface DemoCallReport {
  callId: string;
  sentBytes: number;
  playedBytes: number;
  /** The audio played back is the audio sent, byte for byte and in order. */
  identical: boolean;
  files: number;
  /** From the first caller frame to the first file starting to play. */
  firstPlaybackMs: number | undefined;
  /** The relay closed the lingering socket after the hangup. */
  socketClosed: boolean;
}

/** Places the call, streams `pcm` (16 kHz), waits for the echo (up to `timeoutMs`), hangs up. */
export async function demoCall(sim: FreeSwitchSim, pcm: Uint8Array, timeoutMs = 15_000): Promise<DemoCallReport> {
  const call = sim.call({ secretaryId: DEMO_SECRETARY_ID });
  await call.connectSocket();
  if (!(await call.module.start())) throw new Error("the relay's audio WebSocket refused the stream");
  const started = performance.now();
  await call.module.stream(pcm);
  const played = () => call.played.reduce((n, p) => n + p.bytes.byteLength, 0);
  const deadline = performance.now() + timeoutMs;
  while (played() < pcm.byteLength && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // Let the last file finish before hanging up.
  while (call.played.some((p) => p.endedAt === undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  call.hangup("NORMAL_CLEARING");
  const closeBy = performance.now() + 3000;
  while (call.socketOpen && performance.now() < closeBy) await new Promise((r) => setTimeout(r, 10));
  const back = Buffer.concat(call.played.map((p) => p.bytes));
  return {
    callId: call.callId,
    sentBytes: pcm.byteLength,
    playedBytes: back.byteLength,
    identical: back.equals(Buffer.from(pcm)),
    files: call.played.length,
    firstPlaybackMs: call.played[0] ? call.played[0].startedAt - started : undefined,
    socketClosed: !call.socketOpen,
  };
}
