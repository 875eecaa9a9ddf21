/**
 * The one error shape of the HTTP API: `{ "error": { "code", "message" } }`.
 * Handlers throw {@link ApiError}; `app.onError` turns anything thrown into
 * that shape, so no route formats errors itself.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { log } from "../log.js";

export interface ErrorBody {
  error: { code: string; message: string };
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(status, { message });
  }
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json<ErrorBody>({ error: { code, message } }, status);
}

/** For `app.onError`. Unexpected errors are logged and answered without their details. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message);
  if (err instanceof HTTPException) return errorResponse(c, err.status as ContentfulStatusCode, `HTTP_${err.status}`, err.message || "request failed");
  log("error", "unhandled_error", { path: c.req.path, error: String(err), stack: err.stack });
  return errorResponse(c, 500, "INTERNAL", "internal error");
}

export function notFound(c: Context): Response {
  return errorResponse(c, 404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`);
}
