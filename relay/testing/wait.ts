/** Test helpers: wait for a condition without fixed sleeps; capture logs. */
import { Writable } from "node:stream";
import type { LogLevel } from "../config.js";
import { createLogger, type Logger } from "../log.js";

/** Polls `condition` every few ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, options: { timeoutMs?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs ?? 3000} ms waiting for ${options.what ?? "a condition"}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A logger whose JSON lines are kept, parsed, for assertions. */
export function captureLog(level: LogLevel = "debug"): { log: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines, raw };
}
