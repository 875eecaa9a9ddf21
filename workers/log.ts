/**
 * Structured log lines: one JSON object per line, which Workers Logs and
 * `wrangler tail` index by field. Never pass secrets (tokens) in `fields`.
 */
export function log(level: "info" | "warn" | "error", event: string, fields: Record<string, unknown> = {}): void {
  // eslint-disable-next-line no-console -- the Workers runtime's only log sink
  console.log(JSON.stringify({ level, event, ...fields }));
}
