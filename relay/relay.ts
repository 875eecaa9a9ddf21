/**
 * The relay put together: link client, inbound event-socket client, the
 * outbound event-socket server, the audio stream server, the calls that
 * pair them, and the health server. main.ts adds the process around it
 * (environment, signals, exit codes); tests start it in-process.
 */
import { AudioStreamServer } from "./audio/audio-server.js";
import { CallManager } from "./calls/call-manager.js";
import type { RelayConfig } from "./config.js";
import { InboundEsl } from "./esl/inbound-client.js";
import { OutboundServer } from "./esl/outbound-server.js";
import { HealthServer, healthReport } from "./health.js";
import { LinkClient } from "./link/link-client.js";
import type { Logger } from "./log.js";
import { RelayMetrics } from "./metrics.js";

type Address = { host: string; port: number };

/** A running relay. */
export interface Relay {
  link: LinkClient;
  audio: AudioStreamServer;
  inbound: InboundEsl;
  outbound: OutboundServer;
  calls: CallManager;
  health: HealthServer;
  /** Where the servers actually listen (ports chosen by the OS when 0 was configured). */
  addresses: { audio: Address; outbound: Address; health: Address };
  /** Ends the calls, closes the module sockets, the event sockets, the link (1001) and the servers. */
  stop(): Promise<void>;
}

/** Starts the servers, then the link and the inbound event socket. Rejects if a server cannot listen. */
export async function startRelay(config: RelayConfig, log: Logger, options: { random?: () => number } = {}): Promise<Relay> {
  const startedAt = Date.now();
  const fs = config.freeswitch;
  const link = new LinkClient({ ...config.link, url: config.linkUrl, token: config.relayToken, log, random: options.random });
  const inbound = new InboundEsl({
    ...fs.esl,
    log,
    commandTimeoutMs: fs.commandTimeoutMs,
    backoffMinMs: config.link.backoffMinMs,
    backoffMaxMs: Math.max(config.link.backoffMaxMs, config.link.backoffMinMs),
    random: options.random,
  });
  const metrics = new RelayMetrics();
  const calls = new CallManager({ link, inbound, config: fs, log, onCommand: (name, seconds, ok) => metrics.observeCommand(name, seconds, ok) });
  const audio = new AudioStreamServer({ host: config.audio.host, port: config.audio.port, calls, log });
  const outbound = new OutboundServer({ ...fs.outbound, log, commandTimeoutMs: fs.commandTimeoutMs, onSession: (session) => calls.onSession(session) });
  metrics.bind({ link, audio, calls, inbound });
  const health = new HealthServer({
    host: config.health.host,
    port: config.health.port,
    log,
    report: () => ({
      ...healthReport(link.snapshot(), audio.snapshot(), (Date.now() - startedAt) / 1000),
      freeswitch: { inbound: inbound.state, lastError: inbound.lastError, eslCounters: { ...inbound.counters }, outboundSockets: outbound.open, calls: calls.size, callCounters: { ...calls.counters } },
    }),
    metrics: () => metrics.render(),
  });

  const started: { close(): Promise<void> }[] = [];
  const listen = async (server: { listen(): Promise<Address>; close(): Promise<void> }, what: string): Promise<Address> => {
    try {
      const address = await server.listen();
      started.push(server);
      // End-to-end tests read the bound ports from these lines: keep msg, host and port.
      log.info({ host: address.host, port: address.port }, `${what} listening`);
      return address;
    } catch (err) {
      await Promise.all(started.map((s) => s.close()));
      throw err;
    }
  };
  const audioAddress = await listen(audio, "audio stream server");
  const outboundAddress = await listen(outbound, "outbound event socket server");
  const healthAddress = await listen(health, "health server");
  if (config.linkInsecure) log.warn({ url: config.linkUrl }, "CLOUD_URL is not TLS: the relay token travels in clear; use wss:// or https://");
  if (fs.eslDefaultPassword) log.warn("ESL_PASSWORD is FreeSWITCH's default (ClueCon): change it in event_socket.conf.xml and here");
  log.info({ playbackMode: fs.playbackMode, fallbackExtension: fs.fallbackExtension ?? null, linkGraceMs: fs.linkGraceMs, esl: `${fs.esl.host}:${fs.esl.port}` }, "call handling");
  link.start();
  inbound.start();

  let stopping: Promise<void> | undefined;
  return {
    link,
    audio,
    inbound,
    outbound,
    calls,
    health,
    addresses: { audio: audioAddress, outbound: outboundAddress, health: healthAddress },
    stop: () =>
      (stopping ??= (async () => {
        // Calls first, so their call.end messages go out before the link closes.
        await audio.close();
        await outbound.close();
        inbound.stop();
        await link.stop();
        await health.close();
      })()),
  };
}
