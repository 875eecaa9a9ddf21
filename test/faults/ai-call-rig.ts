/**
 * AI calls end to end: the AI stack (ai-stack.ts), the relay process with
 * its event sockets on the FreeSWITCH simulator, and calls placed the way
 * the dialplan places them (outbound socket, then mod_audio_stream). It also
 * timestamps every `input_audio_buffer.speech_started` the stand-in sends:
 * the provider's speech-start event, the start of a barge-in.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import type { SimCall } from "../sim/freeswitch/sim-call.js";
import { connectSimulator, startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { startAiStack, type AiStack } from "./ai-stack.js";

export interface AiRig {
  ai: AiStack;
  sim: FreeSwitchSim;
  relay: RelayProcess;
  /** performance.now() of each speech_started the provider stand-in sent. */
  speechStarts: number[];
  /** Text messages sent by WebSockets of this process: the stand-in's events to the CallSessions. */
  readonly providerMessages: number;
  /** Places a call to `secretaryId`; resolves once its socket and stream are up, with the answer time. */
  place(secretaryId: string): Promise<{ call: SimCall; answeredAt: number }>;
  stop(): Promise<void>;
}

const SPEECH_STARTED = '"input_audio_buffer.speech_started"';

export async function startAiRig(relayEnv: Record<string, string> = {}): Promise<AiRig> {
  const speechStarts: number[] = [];
  let providerMessages = 0;
  // The stand-in runs in this process on `ws`: watch what it sends, without changing it.
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
    if (typeof data === "string") {
      providerMessages++;
      if (data.includes(SPEECH_STARTED)) speechStarts.push(performance.now());
    }
    return (send as (...args: unknown[]) => void).call(this, data, ...rest);
  } as typeof send;
  const ai = await startAiStack();
  const sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  const relay = await startRelayProcess({ cloudUrl: ai.url.origin, relayToken: ai.relayToken, env: { ESL_PORT: String(sim.eslPort), ...relayEnv } });
  await connectSimulator(sim, relay);
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
  return {
    ai,
    sim,
    relay,
    speechStarts,
    get providerMessages() {
      return providerMessages;
    },
    async place(secretaryId) {
      const call = sim.call({ secretaryId });
      const answeredAt = performance.now();
      await call.connectSocket();
      await call.module.start();
      return { call, answeredAt };
    },
    async stop() {
      WebSocket.prototype.send = send;
      await relay.stop();
      await sim.close();
      await ai.stop();
    },
  };
}
