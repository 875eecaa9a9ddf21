/**
 * Runs the real relay as the plain Node process the Docker image runs (here
 * through tsx, the image runs the esbuild bundle), and follows its JSON log to
 * learn its ports and its link state.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { waitFor as waitForCondition } from "../../relay/testing/wait.js";
import type { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";

export interface RelayLogLine {
  msg?: string;
  level?: number;
  port?: number;
  [key: string]: unknown;
}

export interface RelayProcess {
  child: ChildProcess;
  audioPort: number;
  healthPort: number;
  outboundEslPort: number;
  /** Every JSON log line so far. */
  lines: RelayLogLine[];
  /** Resolves with the first log line (from now on, or already seen after `since`) matching `predicate`. */
  waitFor(predicate: (line: RelayLogLine) => boolean, timeoutMs: number, since?: number): Promise<RelayLogLine>;
  health(): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export interface RelayProcessOptions {
  cloudUrl: string;
  relayToken: string;
  audioPort?: number;
  healthPort?: number;
  /** Where the dialplan's `socket` application connects (the relay's outbound event-socket server). */
  outboundEslPort?: number;
  env?: Record<string, string>;
  /** Called with every line the relay prints (JSON or not). */
  onLine?: (line: string) => void;
}

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "relay/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      CLOUD_URL: options.cloudUrl,
      RELAY_TOKEN: options.relayToken,
      AUDIO_WS_HOST: "127.0.0.1",
      AUDIO_WS_PORT: String(options.audioPort ?? 0),
      HEALTH_HOST: "127.0.0.1",
      HEALTH_PORT: String(options.healthPort ?? 0),
      OUTBOUND_ESL_HOST: "127.0.0.1",
      OUTBOUND_ESL_PORT: String(options.outboundEslPort ?? 0),
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: RelayLogLine[] = [];
  const waiters = new Set<{ predicate: (l: RelayLogLine) => boolean; resolve: (l: RelayLogLine) => void }>();
  const onText = (text: string) => {
    options.onLine?.(text);
    let line: RelayLogLine;
    try {
      line = JSON.parse(text) as RelayLogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters) {
      if (w.predicate(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout! }).on("line", onText);
  createInterface({ input: child.stderr! }).on("line", onText);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const waitFor = (predicate: (l: RelayLogLine) => boolean, timeoutMs: number, since = lines.length) => {
    const seen = lines.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<RelayLogLine>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`relay did not log the expected line within ${timeoutMs} ms; last lines:\n${lines.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`));
      }, timeoutMs);
      const waiter = { predicate, resolve: (l: RelayLogLine) => (clearTimeout(timer), resolve(l)) };
      waiters.add(waiter);
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`relay exited with code ${code} before logging the expected line; last lines:\n${lines.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`));
      });
    });
  };

  const audio = await waitFor((l) => l.msg === "audio stream server listening", 30_000, 0);
  const outbound = await waitFor((l) => l.msg === "outbound event socket server listening", 30_000, 0);
  const health = await waitFor((l) => l.msg === "health server listening", 30_000, 0);
  const audioPort = Number(audio.port);
  const healthPort = Number(health.port);
  return {
    child,
    audioPort,
    healthPort,
    outboundEslPort: Number(outbound.port),
    lines,
    waitFor,
    async health() {
      const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
      return (await res.json()) as Record<string, unknown>;
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Points the simulated FreeSWITCH's calls at the relay process, and waits until the relay has logged into its event socket. */
export async function connectSimulator(sim: FreeSwitchSim, relay: Pick<RelayProcess, "audioPort" | "outboundEslPort">): Promise<void> {
  sim.options.relayAudioPort = relay.audioPort;
  sim.options.relayOutboundPort = relay.outboundEslPort;
  await waitForCondition(() => sim.inboundSockets.size > 0, { timeoutMs: 10_000, what: "the relay's inbound event socket" });
}
