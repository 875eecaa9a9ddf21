/** A secretary: who answers an extension, how it talks, and when it hands off. */
import { z } from "zod";
import { businessHoursSchema } from "./time-conditions.js";
import { extension, name, text, timestamps, uuid } from "./common.js";

export const MAX_PROMPT_CHARS = 20_000;

export const vadSchema = z.strictObject({
  type: z.enum(["server_vad", "semantic_vad", "local"]).optional(),
  threshold: z.number().min(0).max(1).optional(),
  prefixPaddingMs: z.number().int().min(0).max(2000).optional(),
  silenceDurationMs: z.number().int().min(100).max(5000).optional(),
  eagerness: z.enum(["low", "medium", "high", "auto"]).optional(),
});

const fields = {
  name,
  extension,
  processingMode: z.enum(["realtime", "turn_based", "auto"]),
  providerId: uuid.nullable(),
  fallbackProviderId: uuid.nullable(),
  voice: text(64, { min: 1 }).nullable(),
  /** BCP 47, e.g. pt-BR. */
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, { message: "must be a language tag like pt-BR" }),
  systemPrompt: text(MAX_PROMPT_CHARS, { multiline: true }),
  greeting: text(1000, { multiline: true }).nullable(),
  farewell: text(1000, { multiline: true }).nullable(),
  handoffEnabled: z.boolean(),
  handoffKeywords: z.array(text(64, { min: 1 })).max(50),
  handoffTimeoutSeconds: z.number().int().min(5).max(300),
  maxAiTurns: z.number().int().min(1).max(200),
  transferExtension: extension.nullable(),
  presenceCheckEnabled: z.boolean(),
  businessHours: businessHoursSchema.nullable(),
  fallbackToTicketEnabled: z.boolean(),
  ticketQueueId: text(64, { min: 1 }).nullable(),
  omniplayCompanyId: text(64, { min: 1 }).nullable(),
  vad: vadSchema,
};

export const secretaryCreate = z.strictObject(fields).partial().required({ name: true, extension: true });
export const secretaryUpdate = z.strictObject(fields).partial();

export const secretaryOutput = z.object({ id: uuid, ...fields, version: z.number().int(), ...timestamps });
export type Secretary = z.infer<typeof secretaryOutput>;
