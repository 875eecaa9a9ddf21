/**
 * `relay doctor` (`npm run doctor`, `node relay.mjs doctor` in the image):
 * checks what a relay needs, in the order an operator fixes things, and
 * prints a plain-words report with the exact fix for each failure. Exit 0
 * when nothing failed, 1 otherwise, 78 for a bad configuration.
 *
 * While a relay is running (its /health answers), doctor reads the link
 * state from it instead of opening a second link with the same token: the
 * cloud would replace the running relay's connection (4409).
 */
import { ConfigError, EXIT_CONFIG, loadConfig, type RelayConfig } from "../config.js";
import { createLogger } from "../log.js";
import { checkClock, checkEcho, checkEventSocket, checkLink, checkPort, runningRelay, type Verdict } from "./doctor-checks.js";

const MARK: Record<Verdict["status"], string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };

/** Runs every check; writes the report with `print`; resolves with the exit code. */
export async function runDoctor(env: Readonly<Record<string, string | undefined>>, print: (line: string) => void): Promise<number> {
  print("voice-relay doctor");
  const config = loadConfig(env);
  if (config instanceof ConfigError) {
    print(`  ${MARK.fail}  configuration: ${config.problems.length} problem(s)`);
    for (const p of config.problems) print(`        ${p}`);
    print("        fix: set these environment variables (docker run -e NAME=value ...) and run doctor again");
    return EXIT_CONFIG;
  }
  const verdicts: Verdict[] = [];
  const report = (v: Verdict) => {
    verdicts.push(v);
    print(`  ${MARK[v.status]}  ${v.what}: ${v.detail}`);
    if (v.fix && v.status !== "ok") print(`        fix: ${v.fix}`);
  };
  const fs = config.freeswitch;
  report({ status: "ok", what: "configuration", detail: `cloud ${config.linkUrl}; FreeSWITCH ${fs.esl.host}:${fs.esl.port}; playback ${fs.playbackMode}; fallback ${fs.fallbackExtension ? `transfer to ${fs.fallbackExtension}` : "hangup (FALLBACK_EXTENSION unset)"}` });
  if (config.linkInsecure) report({ status: "warn", what: "configuration", detail: "CLOUD_URL is not TLS: the relay token travels in clear", fix: "use wss:// or https://" });
  if (!fs.fallbackExtension) report({ status: "warn", what: "fallback", detail: "FALLBACK_EXTENSION is unset: a call that loses the cloud is hung up", fix: "set FALLBACK_EXTENSION to an operator extension or ring group" });

  const log = createLogger({ level: "silent" });
  for (const v of await checkEventSocket(config, log)) report(v);
  const relay = await runningRelay(config);
  report(await checkPort("audio stream port", config.audio.host, config.audio.port, "AUDIO_WS_PORT"));
  report(await checkPort("event socket port", fs.outbound.host, fs.outbound.port, "OUTBOUND_ESL_PORT"));
  report(await checkClock(config));
  if (relay) await reportRunning(relay, report);
  else await ownLink(config, log, report);

  const failed = verdicts.filter((v) => v.status === "fail").length;
  const warned = verdicts.filter((v) => v.status === "warn").length;
  print(failed === 0 ? `All checks passed${warned ? ` (${warned} warning${warned > 1 ? "s" : ""})` : ""}.` : `${failed} check${failed > 1 ? "s" : ""} failed: fix them in the order shown, then run doctor again.`);
  return failed === 0 ? 0 : 1;
}

async function reportRunning(relay: Record<string, unknown>, report: (v: Verdict) => void): Promise<void> {
  const link = (relay.link ?? {}) as { state?: string; relayId?: string | null; lastError?: { code?: string } | null };
  report(
    link.state === "up"
      ? { status: "ok", what: "cloud link", detail: `the running relay is connected as '${link.relayId ?? "?"}'` }
      : { status: "fail", what: "cloud link", detail: `the running relay's link is ${link.state ?? "unknown"} (${link.lastError?.code ?? "no error recorded"})`, fix: "see the relay's log lines 'link ...'; stop the relay and run doctor again to test the token and the echo" },
  );
  report({ status: "skip", what: "echo round trip", detail: "a relay is running: a second link with its token would replace the running one's", fix: "stop the relay briefly to measure the round trip" });
}

async function ownLink(config: RelayConfig, log: ReturnType<typeof createLogger>, report: (v: Verdict) => void): Promise<void> {
  const checked = await checkLink(config, log);
  for (const v of checked.verdicts) report(v);
  if (!checked.link) {
    report({ status: "skip", what: "echo round trip", detail: "needs the cloud link" });
    return;
  }
  try {
    report(await checkEcho(checked.link));
  } finally {
    await checked.link.stop();
  }
}
