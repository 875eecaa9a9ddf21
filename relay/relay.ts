/**
 * The relay put together: link client, audio stream server, health server.
 * main.ts adds the process around it (environment, signals, exit codes);
 * tests start it in-process.
 */
import { AudioStreamServer } from "./audio/audio-server.js";
import type { RelayConfig } from "./config.js";
import { HealthServer, healthReport } from "./health.js";
import { LinkClient } from "./link/link-client.js";
import type { Logger } from "./log.js";

/** A running relay. */
export interface Relay {
  link: LinkClient;
  audio: AudioStreamServer;
  health: HealthServer;
  /** Where the servers actually listen (ports chosen by the OS when 0 was configured). */
  addresses: { audio: { host: string; port: number }; health: { host: string; port: number } };
  /** Ends the calls, closes the module sockets, the link (1001) and the servers. */
  stop(): Promise<void>;
}

/** Starts the servers, then the link. Rejects if a server cannot listen. */
export async function startRelay(config: RelayConfig, log: Logger, options: { random?: () => number } = {}): Promise<Relay> {
  const startedAt = Date.now();
  const link = new LinkClient({ ...config.link, url: config.linkUrl, token: config.relayToken, log, random: options.random });
  const audio = new AudioStreamServer({ host: config.audio.host, port: config.audio.port, link, log });
  const health = new HealthServer({
    host: config.health.host,
    port: config.health.port,
    log,
    report: () => healthReport(link.snapshot(), audio.snapshot(), (Date.now() - startedAt) / 1000),
  });

  const audioAddress = await audio.listen();
  // End-to-end tests read the bound ports from these two lines: keep msg, host and port.
  log.info({ host: audioAddress.host, port: audioAddress.port }, "audio stream server listening");
  let healthAddress: { host: string; port: number };
  try {
    healthAddress = await health.listen();
  } catch (err) {
    await audio.close();
    throw err;
  }
  log.info({ host: healthAddress.host, port: healthAddress.port }, "health server listening");
  if (config.linkInsecure) log.warn({ url: config.linkUrl }, "CLOUD_URL is not TLS: the relay token travels in clear; use wss:// or https://");
  link.start();

  let stopping: Promise<void> | undefined;
  return {
    link,
    audio,
    health,
    addresses: { audio: audioAddress, health: healthAddress },
    stop: () =>
      (stopping ??= (async () => {
        // Calls first, so their call.end messages go out before the link closes.
        await audio.close();
        await link.stop();
        await health.close();
      })()),
  };
}
