/**
 * `GET /metrics` in Prometheus text format (prom-client). Values are read
 * from the parts' own counters when scraped, so nothing on the audio path
 * pays for metrics; only command latency is observed as it happens.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AudioStreamServer } from "./audio/audio-server.js";
import type { CallManager } from "./calls/call-manager.js";
import type { InboundEsl } from "./esl/inbound-client.js";
import type { LinkClient } from "./link/link-client.js";

/** The parts whose state the metrics read. */
export interface MetricSources {
  link: LinkClient;
  audio: AudioStreamServer;
  calls: CallManager;
  inbound: InboundEsl;
}

const LINK_STATES = ["idle", "connecting", "handshaking", "up", "waiting", "stopped"] as const;

/** The relay's metrics registry. */
export class RelayMetrics {
  readonly registry = new Registry();
  /** Observed by the call manager for each command from the cloud. */
  readonly commandSeconds: Histogram<"command" | "ok">;
  private sources: MetricSources | undefined;

  constructor() {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: (s: MetricSources) => number) => {
      const g: Gauge = new Gauge({ name, help, registers, collect: () => this.sources && g.set(read(this.sources)) });
    };
    const counter = (name: string, help: string, read: (s: MetricSources) => number) => {
      // Counters mirror the parts' own monotonic counters at each scrape.
      const c: Counter = new Counter({ name, help, registers, collect: () => this.sources && (c.reset(), c.inc(read(this.sources))) });
    };
    gauge("relay_active_calls", "Calls the relay runs now (audio stream and/or event socket)", (s) => s.calls.size);
    gauge("relay_audio_streams", "mod_audio_stream connections open", (s) => s.audio.snapshot().streams);
    counter("relay_frames_in_total", "Caller audio frames from mod_audio_stream", (s) => s.audio.counters.framesIn);
    counter("relay_bytes_in_total", "Caller audio bytes from mod_audio_stream", (s) => s.audio.counters.bytesIn);
    counter("relay_frames_out_total", "Agent audio chunks sent to mod_audio_stream", (s) => s.audio.counters.playbackChunksOut);
    counter("relay_bytes_out_total", "Agent audio bytes sent to mod_audio_stream", (s) => s.audio.counters.playbackBytesOut);
    counter("relay_link_frames_received_total", "Agent audio frames received on the link", (s) => s.link.counters.framesReceived);
    gauge("relay_playback_queue_bytes", "Agent audio waiting in the relay, all calls", (s) => s.calls.playbackQueuedBytes());
    counter("relay_playback_files_total", "Playback files queued on FreeSWITCH (file mode)", (s) => s.calls.counters.filesQueued);
    counter("relay_barge_ins_total", "Playback clears (barge-in)", (s) => s.calls.counters.bargeIns);
    counter("relay_fallbacks_total", "Calls that took the local fallback", (s) => s.calls.counters.fallbacks);
    gauge("relay_link_up", "1 while the cloud link is up", (s) => (s.link.isUp ? 1 : 0));
    const state: Gauge<"state"> = new Gauge({
      name: "relay_link_state",
      help: "The link's state (1 for the current one)",
      labelNames: ["state"],
      registers,
      collect: () => {
        const link = this.sources?.link;
        if (link) for (const s of LINK_STATES) state.set({ state: s }, link.state === s ? 1 : 0);
      },
    });
    gauge("relay_link_rtt_seconds", "Round trip of the last heartbeat (-1 before the first)", (s) => (s.link.rttMs === null ? -1 : s.link.rttMs / 1000));
    counter("relay_link_reconnects_total", "Times the link came back after being up", (s) => s.link.snapshot().reconnects);
    gauge("relay_esl_up", "1 while the inbound event socket is authenticated", (s) => (s.inbound.isUp ? 1 : 0));
    counter("relay_esl_reconnects_total", "Times the inbound event socket was lost", (s) => s.inbound.counters.disconnects);
    counter("relay_esl_commands_total", "API commands sent on the inbound event socket", (s) => s.inbound.counters.commands);
    counter("relay_esl_command_failures_total", "API commands that failed (timeout, drop, refused)", (s) => s.inbound.counters.commandFailures);
    this.commandSeconds = new Histogram({
      name: "relay_command_duration_seconds",
      help: "Commands from the cloud, from arrival to result",
      labelNames: ["command", "ok"],
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
  }

  /** Binds the parts, once they exist. */
  bind(sources: MetricSources): void {
    this.sources = sources;
  }

  /** Records one command's outcome. Names outside the known set are counted as "other" (bounded labels). */
  observeCommand(name: string, seconds: number, ok: boolean): void {
    const command = ["transfer", "hangup", "clear_playback", "presence"].includes(name) ? name : "other";
    this.commandSeconds.observe({ command, ok: String(ok) }, seconds);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
