/**
 * The demo AI call of `npm start`: the seeded demo secretary (extension
 * 8000, OpenAI Realtime with no key, so the adapter talks to the local
 * stand-in) greets, the simulated caller asks its question, the agent
 * answers, and the caller talks over the answer (barge-in). Prints what
 * happened in plain words.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import type { StandIns } from "../stand-ins/stand-ins.js";
import { loadFixture } from "./fixtures.js";
import { DEMO_SECRETARY_ID } from "./seed.js";

const say = (line: string) => console.log(line);
const seconds = (bytes: number) => `${(bytes / 32_000).toFixed(1)} s`;

/** Runs the call; resolves true when every step happened. */
export async function aiDemoCall(audioPort: number, standIns: StandIns): Promise<boolean> {
  const callId = randomUUID();
  const events = () => standIns.openaiRealtime.log("sk-local-stand-in") as { type: string; audio_end_ms?: number }[];
  const before = events().length;
  const call = new SimulatedAudioStream({ port: audioPort, secretaryId: DEMO_SECRETARY_ID, callId, callerNumber: "+5511988880000" });
  say("");
  say(`Demo AI call ${callId}`);
  say(`  caller  +5511988880000 dials the demo secretary (8000): OpenAI Realtime, no key configured, so its adapter talks to the local stand-in`);
  const t0 = performance.now();
  await call.connect();
  try {
    await call.waitForBytes(32_000, 20_000);
    await call.waitForQuiet(800, 20_000);
    const greeting = call.receivedByteCount;
    say(`  agent   greeting heard: ${seconds(greeting)} of speech, first audio ${((call.received[0]?.at ?? t0) - t0).toFixed(0)} ms after the call connected`);
    say(`          (this call has no event socket, only the audio stream: the relay first waits CALL_SOCKET_WAIT_MS, 1 s, for one)`);
    await call.stream(loadFixture("caller-greeting.wav").data);
    await call.stream(new Uint8Array(32_000));
    say(`  caller  "Bom dia, eu gostaria de saber o horário de funcionamento de vocês." (caller-greeting.wav)`);
    await call.waitForBytes(greeting + 48_000, 20_000);
    say(`  agent   answering ("Claro! Vou transferir você agora para um atendente.")`);
    const interrupting = call.stream(loadFixture("caller-interrupts.wav").data);
    say(`  caller  talks over the answer: "Espera, espera, não é isso que eu quero."`);
    await interrupting;
    await call.waitForQuiet(1000, 20_000);
    const truncate = events().slice(before).find((e) => e.type === "conversation.item.truncate");
    const answer = call.receivedByteCount - greeting;
    if (truncate) say(`  barge   playback cleared at the relay after ${seconds(answer)} of the answer; the provider's item truncated at ${truncate.audio_end_ms} ms (what was played)`);
    else say(`  barge   NO TRUNCATE seen at the provider`);
    return truncate !== undefined;
  } catch (err) {
    say(`  call    INCOMPLETE: ${(err as Error).message}`);
    return false;
  } finally {
    await call.close();
    say(`  call    ended; transcript and turn latency are in the conversation record (GET /v1/conversations)`);
  }
}
