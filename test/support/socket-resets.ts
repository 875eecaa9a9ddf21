/**
 * Stopping a local stack whose Worker talks to Postgres through Hyperdrive:
 * wrangler's local Hyperdrive proxy runs in this process and has no error
 * listener on its sockets, so when workerd or Postgres goes away they reset
 * (ECONNRESET, EPIPE) as uncaught exceptions that would fail a test run that
 * passed. Only those two codes are ignored, and only while `stop` runs (plus a
 * moment for the last resets to surface); anything else still throws.
 */
export async function ignoringProxyResets(stop: () => Promise<void>): Promise<void> {
  const ignoreReset = (err: Error & { code?: string }) => {
    if (err.code !== "ECONNRESET" && err.code !== "EPIPE") throw err;
  };
  process.on("uncaughtException", ignoreReset);
  try {
    await stop();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    process.off("uncaughtException", ignoreReset);
  }
}
