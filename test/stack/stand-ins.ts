/**
 * The vendor stand-ins for `npm start`: the seeded demo providers carry no
 * API key, so the Worker points the real adapters at these local servers
 * (OPENAI_BASE_URL, GEMINI_BASE_URL, ELEVENLABS_BASE_URL). A provider given
 * a key through the config API talks to the real vendor instead. The seed
 * points the demo tenant's OmniPlay at 127.0.0.1:8090 without a token, so
 * the OmniPlay stand-in listens there (agents and tickets of the handoff).
 */
import { startOmniplayStandIn } from "../stand-ins/omniplay.js";
import { startStandIns, type StandIns } from "../stand-ins/stand-ins.js";
import { portFree } from "./ports.js";

export type { StandIns };

export const DEMO_OMNIPLAY_PORT = 8090;

export async function startLocalStandIns(): Promise<StandIns> {
  const vendors = await startStandIns();
  // A port already taken (a second stack) leaves the handoff without OmniPlay: it still says goodbye.
  const omniplay = (await portFree(DEMO_OMNIPLAY_PORT)) ? await startOmniplayStandIn({ port: DEMO_OMNIPLAY_PORT }) : undefined;
  return {
    ...vendors,
    close: async () => {
      await vendors.close();
      await omniplay?.close();
    },
  };
}
