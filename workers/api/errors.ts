/**
 * One error shape for the whole API, and the one `onError` that produces it:
 *
 *   { "error": { "code": "VALIDATION_FAILED", "message": "...",
 *                "fields": [{ "path": "greeting", "message": "..." }] } }
 *
 * Handlers throw `HTTPException` (or {@link apiError}); validation throws
 * zod errors; Postgres constraint errors become 4xx with the field named.
 * Anything else is a 500 whose details are logged, never returned.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { isPgError, PgCode } from "../db/client.js";

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldError[] };
}

/** An HTTPException that carries a stable code and optional field errors. */
export function apiError(status: ContentfulStatusCode, code: string, message: string, fields?: FieldError[], headers?: Record<string, string>): HTTPException {
  const body: ErrorBody = { error: { code, message, ...(fields ? { fields } : {}) } };
  return new HTTPException(status, { message, res: Response.json(body, { status, headers }), cause: { code } });
}

export const notFound = (what = "resource") => apiError(404, "NOT_FOUND", `${what} not found`);

export function zodFields(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join(".") || "(body)",
    message: issue.message,
  }));
}

/** Constraint name → the API field it is about (see migrations/). */
const CONSTRAINT_FIELDS: Record<string, string> = {
  secretaries_extension_unique: "extension",
  secretaries_provider_fk: "providerId",
  secretaries_fallback_provider_fk: "fallbackProviderId",
  transfer_rules_secretary_fk: "secretaryId",
  transfer_rules_destination_fk: "destinationId",
  conversations_secretary_fk: "secretaryId",
  conversations_call_unique: "callId",
  tenants_slug_key: "slug",
};

export type Logger = (event: string, fields: Record<string, unknown>) => void;

export function errorHandler(logError: Logger) {
  return (err: Error, c: Context): Response => {
    if (err instanceof HTTPException) {
      const res = err.getResponse();
      if (res.headers.get("content-type")?.includes("application/json")) return res;
      // Hono's own exceptions (body limit, ...) carry no JSON body: give them our shape.
      const code = err.status === 413 ? "PAYLOAD_TOO_LARGE" : err.status === 401 ? "UNAUTHORIZED" : "BAD_REQUEST";
      return c.json({ error: { code, message: err.message || "request refused" } } satisfies ErrorBody, err.status);
    }
    if (err instanceof z.ZodError) {
      return c.json({ error: { code: "VALIDATION_FAILED", message: "invalid request", fields: zodFields(err) } } satisfies ErrorBody, 400);
    }
    if (isPgError(err)) {
      const field = err.constraint_name ? CONSTRAINT_FIELDS[err.constraint_name] : undefined;
      const fields = field ? [{ path: field, message: "" }] : undefined;
      if (err.code === PgCode.ForeignKeyViolation) {
        if (fields) fields[0]!.message = "does not exist in this tenant";
        return c.json({ error: { code: "UNKNOWN_REFERENCE", message: "a referenced object does not exist", ...(fields ? { fields } : {}) } } satisfies ErrorBody, 400);
      }
      if (err.code === PgCode.UniqueViolation) {
        if (fields) fields[0]!.message = "already in use";
        return c.json({ error: { code: "CONFLICT", message: "already exists", ...(fields ? { fields } : {}) } } satisfies ErrorBody, 409);
      }
      if (err.code === PgCode.InvalidTextRepresentation || err.code === PgCode.CheckViolation) {
        return c.json({ error: { code: "BAD_REQUEST", message: "a value is not acceptable" } } satisfies ErrorBody, 400);
      }
      if (err.code === PgCode.SerializationFailure) {
        return c.json({ error: { code: "CONFLICT", message: "concurrent update, retry" } } satisfies ErrorBody, 409);
      }
    }
    logError("api_error", { method: c.req.method, path: c.req.path, error: err.name, message: err.message });
    return c.json({ error: { code: "INTERNAL", message: "internal error" } } satisfies ErrorBody, 500);
  };
}
