/** Request parsing with field-level errors: bodies, queries, path ids, If-Match. */
import type { Context } from "hono";
import type { z } from "zod";
import { apiError, notFound, zodFields } from "./errors.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw apiError(400, "INVALID_JSON", "the body must be a JSON object (Content-Type: application/json)");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw apiError(400, "VALIDATION_FAILED", "invalid request body", zodFields(parsed.error));
  return parsed.data;
}

export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw apiError(400, "VALIDATION_FAILED", "invalid query", zodFields(parsed.error, ["query"]));
  return parsed.data;
}

/** The `:id` path parameter; anything that is not a UUID cannot name an object, so 404. */
export function pathId(c: Context, what: string): string {
  const id = c.req.param("id") ?? "";
  if (!UUID_RE.test(id)) throw notFound(what);
  return id.toLowerCase();
}

/** `If-Match: "3"` → 3; absent → undefined. */
export function ifMatchVersion(c: Context): number | undefined {
  const header = c.req.header("If-Match");
  if (header === undefined) return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(header.trim());
  if (!m) throw apiError(400, "BAD_REQUEST", 'If-Match must be an ETag from this API, like "3"', [{ path: "If-Match", message: "not an ETag" }]);
  return Number(m[1]);
}
