/** An AI provider account: realtime speech, or one stage of the turn-based pipeline. */
import { z } from "zod";
import { httpUrl, name, secretInput, text, timestamps, uuid } from "./common.js";

export const PROVIDER_VENDORS = ["openai", "gemini", "elevenlabs"] as const;

const fields = {
  name,
  kind: z.enum(["realtime", "stt", "tts", "llm"]),
  vendor: z.enum(PROVIDER_VENDORS),
  model: text(100, { min: 1 }).nullable(),
  /** Overrides the vendor's endpoint (a proxy, or a local stand-in). */
  baseUrl: httpUrl.nullable(),
};

export const providerCreate = z.strictObject({
  name: fields.name,
  kind: fields.kind,
  vendor: fields.vendor,
  model: fields.model.optional(),
  baseUrl: fields.baseUrl.optional(),
  /** Write-only: stored encrypted, never returned. */
  apiKey: secretInput.optional(),
});
export const providerUpdate = providerCreate.partial();

export const providerOutput = z.object({
  id: uuid,
  ...fields,
  hasApiKey: z.boolean(),
  /** The key's last four characters, when it is long enough to show them. */
  apiKeyLast4: z.string().nullable(),
  version: z.number().int(),
  ...timestamps,
});
