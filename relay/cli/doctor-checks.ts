/**
 * The checks of `relay doctor`, one function each. Every check returns a
 * verdict in plain words and, when something is wrong, the exact fix. They
 * never throw: a check that cannot run says why.
 */
import { randomUUID } from "node:crypto";
import { connect, createServer } from "node:net";
import { performance } from "node:perf_hooks";
import type { RelayConfig } from "../config.js";
import { EslConnection, replyText } from "../esl/connection.js";
import { contentType } from "../esl/parser.js";
import { apiCommand, encodeCommand } from "../esl/wire.js";
import type { CallHandler } from "../link/link-call.js";
import { LinkClient } from "../link/link-client.js";
import type { Logger } from "../log.js";

/** One line of the report. */
export interface Verdict {
  status: "ok" | "warn" | "fail" | "skip";
  what: string;
  detail: string;
  fix?: string;
}

/**
 * The call UUID space doctor uses for its synthetic call, and the secretary it
 * names: the cloud's diagnostic echo plays the audio back.
 */
export const DOCTOR_ECHO_SECRETARY = "00000000-0000-4000-8000-00000000ec40";

/** Connects to the inbound event socket, authenticates, asks `module_exists mod_audio_stream`. */
export async function checkEventSocket(config: RelayConfig, log: Logger): Promise<Verdict[]> {
  const { host, port, password } = config.freeswitch.esl;
  const where = `${host}:${port}`;
  const socket = connect({ host, port });
  const notices: string[] = [];
  let authRequested!: () => void;
  const asked = new Promise<void>((resolve) => (authRequested = resolve));
  const conn = new EslConnection(socket, log, {
    onNotice: (m) => {
      notices.push(contentType(m));
      if (contentType(m) === "auth/request") authRequested();
    },
  });
  try {
    const opened = await Promise.race([
      asked.then(() => "ok" as const),
      new Promise<string>((resolve) => socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))),
      new Promise<string>((resolve) => setTimeout(() => resolve(notices.includes("text/rude-rejection") ? "ACL" : "TIMEOUT"), 3000)),
    ]);
    if (opened !== "ok") {
      const fix =
        opened === "ACL"
          ? `FreeSWITCH refused us by ACL: in event_socket.conf.xml set apply-inbound-acl to one that allows ${host} (e.g. loopback.auto), then 'fs_cli -x "reload mod_event_socket"'`
          : `start FreeSWITCH with mod_event_socket listening on ${where} (event_socket.conf.xml: listen-ip ${host}, listen-port ${port}); in Docker run the relay with --network host; or set ESL_HOST/ESL_PORT`;
      return [{ status: "fail", what: "event socket", detail: `cannot reach FreeSWITCH at ${where} (${opened})`, fix }];
    }
    const auth = replyText(await conn.request(encodeCommand(`auth ${password}`), 3000));
    if (!auth.startsWith("+OK")) {
      return [{ status: "fail", what: "event socket", detail: `FreeSWITCH at ${where} refused ESL_PASSWORD`, fix: "set ESL_PASSWORD to the password in /etc/freeswitch/autoload_configs/event_socket.conf.xml" }];
    }
    const out: Verdict[] = [{ status: "ok", what: "event socket", detail: `reached FreeSWITCH at ${where} and authenticated` }];
    if (config.freeswitch.eslDefaultPassword) {
      out.push({ status: "warn", what: "event socket password", detail: "ESL_PASSWORD is FreeSWITCH's default (ClueCon)", fix: "set a long random password in event_socket.conf.xml and the same in ESL_PASSWORD" });
    }
    const module = replyText(await conn.request(apiCommand({ api: "module_exists", args: ["mod_audio_stream"] }), 3000));
    out.push(
      module === "true"
        ? { status: "ok", what: "mod_audio_stream", detail: "loaded" }
        : { status: "fail", what: "mod_audio_stream", detail: `not loaded (module_exists said ${JSON.stringify(module.slice(0, 40))})`, fix: `'fs_cli -x "load mod_audio_stream"', and add <load module="mod_audio_stream"/> to modules.conf.xml` },
    );
    return out;
  } catch (err) {
    return [{ status: "fail", what: "event socket", detail: `FreeSWITCH at ${where} stopped answering: ${(err as Error).message}`, fix: "check 'fs_cli -x status' and the FreeSWITCH log" }];
  } finally {
    conn.close("doctor done");
  }
}

/** A listening port of the relay: in use by a running relay, or free for one. */
export async function checkPort(what: string, host: string, port: number, variable: string): Promise<Verdict> {
  const listening = await new Promise<boolean>((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
  if (listening) return { status: "ok", what, detail: `something listens on ${host}:${port} (the running relay)` };
  const bindError = await new Promise<string | undefined>((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
  if (bindError === undefined) return { status: "ok", what, detail: `${host}:${port} is free: the relay can listen there (it is not running now)` };
  return { status: "fail", what, detail: `cannot listen on ${host}:${port} (${bindError})`, fix: `free the port or set ${variable}; with Docker use --network host` };
}

/** What a running relay's /health says, or undefined when none answers. */
export async function runningRelay(config: RelayConfig): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://${config.health.host}:${config.health.port}/health`, { signal: AbortSignal.timeout(1500) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The cloud's clock against ours, from the Date header of any HTTP answer. */
export async function checkClock(config: RelayConfig): Promise<Verdict> {
  const url = new URL(config.linkUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  try {
    const before = Date.now();
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const date = res.headers.get("date");
    const now = (before + Date.now()) / 2;
    if (!date) return { status: "skip", what: "clock", detail: "the cloud sent no Date header" };
    const skewS = (now - Date.parse(date)) / 1000;
    if (Math.abs(skewS) <= 5) return { status: "ok", what: "clock", detail: `within ${Math.max(1, Math.ceil(Math.abs(skewS)))} s of the cloud's` };
    return { status: "fail", what: "clock", detail: `${skewS.toFixed(0)} s off the cloud's clock`, fix: "enable time sync on the host (chrony or systemd-timesyncd: 'timedatectl set-ntp true')" };
  } catch (err) {
    return { status: "fail", what: "clock", detail: `cannot reach ${url.origin}: ${(err as Error).message}`, fix: "check CLOUD_URL, DNS and that outbound HTTPS is allowed" };
  }
}

/** Result of the link check: verdicts and, when it came up, the client for the echo test. */
export interface LinkCheck {
  verdicts: Verdict[];
  link?: LinkClient;
}

/** Opens the link with the relay token and waits for the welcome. */
export async function checkLink(config: RelayConfig, log: Logger): Promise<LinkCheck> {
  const link = new LinkClient({ ...config.link, url: config.linkUrl, token: config.relayToken, log });
  const started = performance.now();
  link.start();
  const deadline = started + config.link.handshakeTimeoutMs + 1000;
  while (!link.isUp && performance.now() < deadline && link.snapshot().counters.connectAttempts < 3) await new Promise((r) => setTimeout(r, 10));
  if (link.isUp) {
    const ms = performance.now() - started;
    return { link, verdicts: [{ status: "ok", what: "cloud link", detail: `connected to ${config.linkUrl} as '${link.snapshot().relayId}' in ${ms.toFixed(0)} ms (token accepted)` }] };
  }
  const code = link.snapshot().lastError?.code ?? "no answer";
  await link.stop();
  const fix =
    code === "LINK_UNAUTHORIZED"
      ? "the cloud refused RELAY_TOKEN: copy this relay's token from the dashboard into RELAY_TOKEN"
      : code === "LINK_VERSION_UNSUPPORTED"
        ? "update the relay image: the cloud no longer speaks this protocol version"
        : "check CLOUD_URL (wss://<your Worker host>), DNS, and that outbound HTTPS (443) is allowed";
  return { verdicts: [{ status: "fail", what: "cloud link", detail: `no welcome from ${config.linkUrl} (${code})`, fix }] };
}

/** One second of audio through the echo secretary: frames out, frames back, and the round trip. */
export async function checkEcho(link: LinkClient): Promise<Verdict> {
  const frames = 50;
  const sentAt: number[] = [];
  const trips: number[] = [];
  let received = 0;
  const handler: CallHandler = {
    // The echo may re-chunk: frame i is back once (i + 1) frames' worth of bytes are.
    onAudio: (frame) => {
      received += frame.payload.byteLength;
      while (trips.length < sentAt.length && received >= (trips.length + 1) * 640) trips.push(performance.now() - (sentAt[trips.length] as number));
    },
    onControl: () => undefined,
    onEnd: () => undefined,
  };
  const opened = link.openCall({ callId: randomUUID(), secretaryId: DOCTOR_ECHO_SECRETARY, caller: { number: "doctor" }, audio: { encoding: "L16", sampleRate: 16000 }, variables: { echo_delay_ms: "0" } }, handler);
  if (!opened.ok) return { status: "fail", what: "echo round trip", detail: `the link refused the test call (${opened.reason})` };
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    const wait = start + i * 20 - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const pcm = new Uint8Array(640).fill(i & 0xff);
    sentAt[i] = performance.now();
    opened.call.sendAudio(pcm);
  }
  const until = performance.now() + 3000;
  while (trips.length < frames && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  opened.call.end("doctor-done");
  if (trips.length === 0) {
    return { status: "fail", what: "echo round trip", detail: "no audio came back within 3 s", fix: "the cloud did not answer the diagnostic echo: check the Worker's logs for this relay (is the RelayHub routing calls?)" };
  }
  const sorted = [...trips].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)] as number;
  const max = sorted.at(-1) as number;
  const detail = `${frames} frames of 20 ms out, ${trips.length} back; round trip p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
  if (trips.length < frames) return { status: "warn", what: "echo round trip", detail, fix: "some audio was lost on the way: check the network between this host and the cloud" };
  return { status: p50 > 300 ? "warn" : "ok", what: "echo round trip", detail, fix: p50 > 300 ? "a round trip over 300 ms makes the agent slow to answer: check the network path to the cloud" : undefined };
}
