/**
 * The relay daemon: `npm run relay` (tsx) or `node dist/relay.mjs`; with
 * `doctor` as its argument it checks the setup instead (relay/cli/doctor.ts),
 * with `dialplan --secretary ...` it prints the recommended dialplan.
 * Exit codes: 0 after a graceful stop, 78 for a bad configuration, 1 when
 * a server cannot start or the stop takes too long.
 */
import { ConfigError, EXIT_CONFIG, loadConfig } from "./config.js";
import { runDialplan } from "./cli/dialplan.js";
import { runDoctor } from "./cli/doctor.js";
import { createLogger } from "./log.js";
import { startRelay } from "./relay.js";

// After a signal, how long the calls and the link get to close cleanly.
const STOP_DEADLINE_MS = 8000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config instanceof ConfigError) {
    process.stderr.write(`voice-relay: ${config.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const log = createLogger({ level: config.logLevel });
  process.on("uncaughtException", (err) => {
    // Every handler is guarded; reaching this is a bug. Log it, and keep the calls up.
    log.fatal({ err }, "uncaught exception");
  });
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection"));

  let relay;
  try {
    relay = await startRelay(config, log);
  } catch (err) {
    log.fatal({ err }, "relay failed to start");
    process.exit(1);
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    signalled = true;
    log.info({ signal }, "stopping");
    setTimeout(() => {
      log.error({ deadlineMs: STOP_DEADLINE_MS }, "graceful stop took too long, exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    relay.stop().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

if (process.argv[2] === "doctor") {
  runDoctor(process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`doctor failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
} else if (process.argv[2] === "dialplan") {
  process.exit(runDialplan(process.argv.slice(3), (line) => process.stdout.write(`${line}\n`)));
} else {
  void main();
}
