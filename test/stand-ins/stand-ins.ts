/**
 * All vendor stand-ins at once, for the local stack and the tests. `env`
 * holds the base URLs under the names the Worker reads when a provider has
 * no base URL and no key of its own (OPENAI_BASE_URL, ...).
 */
import { startElevenLabsStandIn } from "./elevenlabs-agents.js";
import { startGeminiLiveStandIn } from "./gemini-live.js";
import { startOpenAiRealtimeStandIn } from "./openai-realtime.js";
import type { StandIn } from "./server.js";

export interface StandIns {
  openaiRealtime: StandIn;
  gemini: StandIn;
  elevenlabs: StandIn;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startStandIns(): Promise<StandIns> {
  const openaiRealtime = await startOpenAiRealtimeStandIn();
  const gemini = await startGeminiLiveStandIn();
  const elevenlabs = await startElevenLabsStandIn();
  const all = [openaiRealtime, gemini, elevenlabs];
  return {
    openaiRealtime,
    gemini,
    elevenlabs,
    env: {
      OPENAI_BASE_URL: `http://127.0.0.1:${openaiRealtime.port}/v1`,
      GEMINI_BASE_URL: gemini.url,
      ELEVENLABS_BASE_URL: elevenlabs.url,
    },
    close: async () => {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
