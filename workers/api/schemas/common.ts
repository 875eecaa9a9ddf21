/** Field types shared by the API's schemas. Pure: zod only. */
import { z } from "zod";

export const uuid = z.uuid({ message: "must be a UUID" });

/** Printable text of at most `max` characters (line breaks allowed only where `multiline`). */
export function text(max: number, options: { multiline?: boolean; min?: number } = {}) {
  // eslint-disable-next-line no-control-regex
  const forbidden = options.multiline ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  return z
    .string()
    .min(options.min ?? 0)
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => !forbidden.test(s), { message: "must not contain control characters" });
}

export const name = text(120, { min: 1 });

/**
 * A dialable extension or ring group as FusionPBX stores them: digits, and
 * `*`/`#` for feature codes. Nothing that could become dialplan or ESL syntax.
 */
export const extension = z.string().regex(/^[0-9*#]{1,15}$/, { message: "must be 1-15 digits, * or #" });

/** A dialplan context: FusionPBX uses the domain name (`pbx.example.com`) or `default`/`public`. */
export const dialplanContext = z
  .string()
  .max(253)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/, { message: "must be a domain name or a word (letters, digits, '.', '-', '_')" });

export const httpUrl = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
  .max(2000);

/** A write-only secret: accepted, stored encrypted, never returned. null clears it. */
export const secretInput = z.string().min(8, { message: "must be at least 8 characters" }).max(4096).nullable();

export const timestamps = {
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
};

/** `?limit=&offset=` on every list. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    limit: z.number().int(),
    offset: z.number().int(),
    /** Offset of the next page, or null on the last one. */
    nextOffset: z.number().int().nullable(),
  });
}

/** The fields of `row` that the output schema names, nothing else (no tenant id, no ciphertext). */
export function pick(row: Record<string, unknown>, schema: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (key in row) out[key] = row[key] ?? null;
  return out;
}
