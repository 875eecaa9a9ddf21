/** Where a call can be transferred, and the department rules that pick it. */
import { z } from "zod";
import { dialplanContext, extension, name, text, timestamps, uuid } from "./common.js";

const destinationFields = {
  name,
  kind: z.enum(["extension", "ring_group", "queue"]),
  extension,
  /** Dialplan context of the transfer (FusionPBX: the domain name); null = the call's own. */
  context: dialplanContext.nullable(),
};
export const destinationCreate = z.strictObject({
  name: destinationFields.name,
  kind: destinationFields.kind.optional(),
  extension: destinationFields.extension,
  context: destinationFields.context.optional(),
});
export const destinationUpdate = destinationCreate.partial();
export const destinationOutput = z.object({ id: uuid, ...destinationFields, version: z.number().int(), ...timestamps });

/** Offered to the model as an enum value: letters, digits, spaces, '-' and '_' only. */
export const department = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,63}$/u, { message: "must be 1-64 letters, digits, spaces, '-' or '_'" });

const ruleFields = {
  secretaryId: uuid,
  destinationId: uuid,
  department,
  /** Phrases in the caller's words that mean this department. */
  phrases: z.array(text(100, { min: 1 })).max(50),
  priority: z.number().int().min(0).max(1000),
};
export const ruleCreate = z.strictObject({
  secretaryId: ruleFields.secretaryId,
  destinationId: ruleFields.destinationId,
  department: ruleFields.department,
  phrases: ruleFields.phrases.optional(),
  priority: ruleFields.priority.optional(),
});
export const ruleUpdate = ruleCreate.partial();
export const ruleOutput = z.object({ id: uuid, ...ruleFields, version: z.number().int(), ...timestamps });
