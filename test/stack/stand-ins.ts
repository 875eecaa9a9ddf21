/**
 * The vendor stand-ins for `npm start`: the seeded demo providers carry no
 * API key, so the Worker points the real adapters at these local servers
 * (OPENAI_BASE_URL, GEMINI_BASE_URL, ELEVENLABS_BASE_URL). A provider given
 * a key through the config API talks to the real vendor instead.
 */
import { startStandIns, type StandIns } from "../stand-ins/stand-ins.js";

export type { StandIns };

export function startLocalStandIns(): Promise<StandIns> {
  return startStandIns();
}
