/**
 * One call in the simulated FreeSWITCH: the channel, its outbound socket to
 * the relay (`socket 127.0.0.1:8022 async full`), its mod_audio_stream, and
 * the channel's playback queue. Quirks as shared/FREESWITCH.md observed them:
 * `myevents` brings the channel's events but not mod_audio_stream's CUSTOM
 * ones (only an explicit `event plain CUSTOM ...` does), so the first
 * `::connect` is usually missed; `playback` without event-lock interrupts the
 * file playing; at hangup the socket gets a linger disconnect notice, the
 * last events, and stays open until the relay closes it. A transfer runs the
 * target's dialplan as FusionPBX's local extension does (a `bridge` that is
 * answered, rings out or is busy, then voicemail), with its events on this
 * socket; `park inline` cancels a ringing bridge and parks the caller.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { AudioModule } from "./audio-module.js";
import { channelHeaders, type SimChannel } from "./channel-data.js";
import type { SimUser } from "./freeswitch.js";
import { commandReply, CommandSplitter, disconnectNotice, eventPlain, type HeaderValue, type SentCommand } from "./wire.js";

export interface SimCallOptions {
  channel: SimChannel;
  relayAudioPort: number;
  relayOutboundPort: number;
  tmpDir: string;
  /** The older URL `/stream/<domain>/<call>`: the secretary only in the channel variables. */
  legacyPath?: boolean;
  /** Runs an `api` command sent on this call's outbound socket (FreeSWITCH accepts them there). */
  api(line: string, via: "outbound"): string;
}

/** A file played (or cut short) on the channel. */
export interface Played {
  file: string;
  bytes: Buffer;
  startedAt: number;
  endedAt?: number;
  interrupted?: boolean;
}

/** One simulated call. */
export class SimCall {
  readonly module: AudioModule;
  socket: Socket | undefined;
  /** Commands the relay sent on the outbound socket, with when. */
  readonly commands: (SentCommand & { at: number })[] = [];
  readonly played: Played[] = [];
  readonly queue: { file: string; lock: boolean }[] = [];
  /** Events written to the outbound socket (names, for assertions). */
  readonly eventsSent: string[] = [];
  myevents = false;
  linger = false;
  readonly customSubscriptions = new Set<string>();
  hungUp: { cause: string; at: number } | undefined;
  /** The last transfer FreeSWITCH took (uuid_transfer ... XML ...), and all of them. */
  transferred: { destination: string; context: string } | undefined;
  readonly transfers: { destination: string; context: string }[] = [];
  /**
   * Where the channel's dialplan is: the `socket` app (the relay's), a
   * transfer's bridge ringing or answered, the target's voicemail after a
   * failed bridge, `park` after a recall, or another application.
   */
  dialplan: "socket" | "ringing" | "bridged" | "voicemail" | "parked" | "other" = "socket";
  /** Times the relay took the caller back (`uuid_transfer <uuid> park inline`). */
  recalls = 0;
  /** The bridge that rings, while it does. */
  private ringing: { app: string; timer: NodeJS.Timeout | undefined; target: string; then: "voicemail" | "parked" } | undefined;
  /** When the relay closed the outbound socket (after the notice, if lingering). */
  socketClosedAt: number | undefined;
  private current: { played: Played; timer: NodeJS.Timeout } | undefined;
  private readonly splitter = new CommandSplitter();

  constructor(private readonly options: SimCallOptions) {
    const c = options.channel;
    this.module = new AudioModule({
      port: options.relayAudioPort,
      path: options.legacyPath || !c.secretaryId ? `/stream/${c.domainId}/${c.callId}` : `/stream/${c.secretaryId}/${c.callId}/${encodeURIComponent(c.callerNumber)}`,
      tmpDir: options.tmpDir,
      callId: c.callId,
      fire: (subclass, body) => this.fire("CUSTOM", [["Event-Subclass", subclass]], body),
    });
  }

  get callId(): string {
    return this.options.channel.callId;
  }

  /** The dialplan reaches `socket`: connect to the relay and answer its setup. */
  connectSocket(): Promise<void> {
    const socket = connect({ host: "127.0.0.1", port: this.options.relayOutboundPort });
    this.socket = socket;
    socket.on("data", (chunk) => {
      for (const command of this.splitter.push(chunk)) this.onCommand(command);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => (this.socketClosedAt ??= performance.now()));
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
  }

  /** Sends a DTMF digit (duration in 8 kHz samples, as FreeSWITCH reports it). */
  dtmf(digit: string, samples = 1600): void {
    this.fire("DTMF", [["DTMF-Digit", digit], ["DTMF-Duration", String(samples)]]);
  }

  /** The caller (or uuid_kill) hangs up. */
  hangup(cause = "NORMAL_CLEARING"): void {
    if (this.hungUp) return;
    this.hungUp = { cause, at: performance.now() };
    clearTimeout(this.ringing?.timer);
    this.ringing = undefined;
    this.stopPlayback(true);
    this.module.stop();
    this.fire("CHANNEL_HANGUP", [["Hangup-Cause", cause]]);
    if (!this.socket || this.socket.destroyed) return;
    this.socket.write(disconnectNotice(this.linger));
    this.fire("CHANNEL_HANGUP_COMPLETE", [["Hangup-Cause", cause]]);
    // Without linger FreeSWITCH closes; with it, it waits for the controller.
    if (!this.linger) this.socket.end();
  }

  /**
   * A transfer to `destination`: a known extension rings as FusionPBX's local
   * extension does ({@link bridge}, then voicemail when nobody took it);
   * anything else runs some other application.
   */
  runDestination(destination: string, user: SimUser | undefined): void {
    this.endBridge("ORIGINATOR_CANCEL");
    if (!user) {
      this.dialplan = "other";
      return;
    }
    this.bridge([{ extension: destination, user }], "voicemail");
  }

  /** The relay's ring-all inline: one bridge to every target, then the inline dialplan's `park`. */
  ringAll(targets: { extension: string; user: SimUser | undefined }[]): void {
    this.endBridge("ORIGINATOR_CANCEL");
    this.bridge(targets, "parked");
  }

  /**
   * One `bridge` ringing every target at once (events CHANNEL_EXECUTE, then
   * CHANNEL_BRIDGE on answer, or CHANNEL_EXECUTE_COMPLETE with
   * originate_disposition on failure). The first that answers takes it;
   * unregistered ones fail at once (USER_NOT_REGISTERED when none is left);
   * all busy -> USER_BUSY; otherwise NO_ANSWER at the shortest call_timeout.
   * After a failure the dialplan goes on to `then`.
   */
  private bridge(targets: { extension: string; user: SimUser | undefined }[], then: "voicemail" | "parked"): void {
    const app = `app-${Math.random().toString(16).slice(2)}`;
    const target = targets.map((t) => `user/${t.extension}@${this.options.channel.domainName}`).join(",");
    this.dialplan = "ringing";
    const ringing = { app, timer: undefined as NodeJS.Timeout | undefined, target, then };
    this.ringing = ringing;
    this.fire("CHANNEL_EXECUTE", [["Application", "bridge"], ["Application-Data", target], ["Application-UUID", app]]);
    const live = targets.filter((t) => t.user?.registered);
    const answering = live.filter((t) => (t.user?.answers ?? "answer") === "answer");
    if (answering.length > 0) {
      ringing.timer = setTimeout(() => this.answered(), Math.min(...answering.map((t) => t.user?.answerAfterMs ?? 150)));
    } else if (live.length === 0) {
      ringing.timer = setTimeout(() => this.endBridge("USER_NOT_REGISTERED"), 20);
    } else if (live.every((t) => t.user?.answers === "busy")) {
      ringing.timer = setTimeout(() => this.endBridge("USER_BUSY"), 20);
    } else {
      ringing.timer = setTimeout(() => this.endBridge("NO_ANSWER"), Math.min(...live.filter((t) => t.user?.answers === "no-answer").map((t) => t.user?.ringTimeoutMs ?? 30_000)));
    }
  }

  private answered(): void {
    this.ringing = undefined;
    this.dialplan = "bridged";
    this.fire("CHANNEL_BRIDGE", [["Bridge-A-Unique-ID", this.callId], ["Bridge-B-Unique-ID", `b-${this.callId}`], ["Other-Leg-Unique-ID", `b-${this.callId}`]]);
  }

  get domainName(): string {
    return this.options.channel.domainName;
  }

  /** `uuid_transfer <uuid> park inline`: a ringing bridge is cancelled; the channel parks, stream and socket still up. */
  park(): void {
    this.recalls++;
    this.endBridge("ORIGINATOR_CANCEL", false);
    this.dialplan = "parked";
    this.fire("CHANNEL_PARK", []);
  }

  /** The ringing bridge ends unanswered with `cause` (switch_ivr_originate's originate_disposition and DIALSTATUS). */
  private endBridge(cause: string, dialplanGoesOn = true): void {
    const bridge = this.ringing;
    if (!bridge) return;
    clearTimeout(bridge.timer);
    this.ringing = undefined;
    const dialStatus = ({ USER_BUSY: "BUSY", NO_ANSWER: "NOANSWER", ORIGINATOR_CANCEL: "CANCEL" } as Record<string, string>)[cause] ?? cause;
    this.fire("CHANNEL_EXECUTE_COMPLETE", [
      ["Application", "bridge"],
      ["Application-Data", bridge.target],
      ["Application-UUID", bridge.app],
      ["variable_originate_disposition", cause],
      ["variable_DIALSTATUS", dialStatus],
    ]);
    // FusionPBX's local extension goes on to voicemail; the relay's ring-all inline parks.
    if (dialplanGoesOn) this.dialplan = bridge.then;
  }

  /** `uuid_break <uuid> all`: stops the file playing and flushes the queue. */
  breakAll(): void {
    this.queue.length = 0;
    this.stopPlayback(true);
  }

  /** Nothing has played for `ms`: the agent finished what it was saying (its lines come as many short files). */
  quietFor(ms: number): boolean {
    const last = this.played.at(-1);
    return last?.endedAt !== undefined && performance.now() - last.endedAt > ms;
  }

  /** Waits until the relay closed the outbound socket. */
  get socketOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.socketClosedAt === undefined;
  }

  private onCommand(command: SentCommand): void {
    this.commands.push({ ...command, at: performance.now() });
    const socket = this.socket;
    if (!socket) return;
    const [verb = "", ...rest] = command.line.split(" ");
    switch (verb) {
      case "connect":
        socket.write(commandReply("+OK", [["Socket-Mode", "async"], ["Control", "full"], ...channelHeaders(this.options.channel)]));
        return;
      case "myevents":
        this.myevents = true;
        socket.write(commandReply("+OK Events Enabled"));
        return;
      case "event": {
        // `event plain CUSTOM a b c`: every token after CUSTOM is a subclass.
        const custom = rest.indexOf("CUSTOM");
        if (custom >= 0) for (const s of rest.slice(custom + 1)) this.customSubscriptions.add(s);
        socket.write(commandReply("+OK event listener enabled plain"));
        return;
      }
      case "linger":
        this.linger = true;
        socket.write(commandReply("+OK will linger"));
        return;
      case "sendmsg":
        socket.write(commandReply(this.sendmsg(command.headers)));
        return;
      case "api": {
        const body = Buffer.from(this.options.api(rest.join(" "), "outbound"));
        socket.write(Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${body.byteLength}\n\n`), body]));
        return;
      }
      case "exit":
        socket.write(commandReply("+OK bye"));
        socket.end();
        return;
      default:
        socket.write(commandReply("-ERR command not found"));
    }
  }

  private sendmsg(headers: Map<string, string>): string {
    const what = headers.get("call-command");
    if (what === "hangup") {
      setImmediate(() => this.hangup(headers.get("hangup-cause") ?? "NORMAL_CLEARING"));
      return "+OK";
    }
    if (what !== "execute") return "-ERR unsupported call-command";
    const app = headers.get("execute-app-name");
    if (app !== "playback") return `-ERR the simulator runs playback only, not ${app}`;
    const file = headers.get("execute-app-arg") ?? "";
    const lock = headers.get("event-lock") === "true";
    // Without event-lock the new application interrupts the one running.
    if (!lock) this.stopPlayback(true);
    this.queue.push({ file, lock });
    if (!this.current) this.playNext();
    return "+OK";
  }

  private playNext(): void {
    const next = this.queue.shift();
    if (!next || this.hungUp) return;
    let bytes: Buffer;
    try {
      bytes = readFileSync(next.file);
    } catch {
      bytes = Buffer.alloc(0);
    }
    const rate = next.file.endsWith(".r8") ? 8000 : 16000;
    const played: Played = { file: next.file, bytes, startedAt: performance.now() };
    this.played.push(played);
    this.fire("PLAYBACK_START", [["Playback-File-Path", next.file]]);
    const ms = (bytes.byteLength / 2 / rate) * 1000;
    this.current = {
      played,
      timer: setTimeout(() => {
        played.endedAt = performance.now();
        this.current = undefined;
        this.fire("PLAYBACK_STOP", [["Playback-File-Path", next.file], ["Playback-Status", "done"]]);
        this.playNext();
      }, ms),
    };
  }

  private stopPlayback(interrupted: boolean): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    current.played.endedAt = performance.now();
    current.played.interrupted = interrupted;
    this.current = undefined;
    this.fire("PLAYBACK_STOP", [["Playback-File-Path", current.played.file], ["Playback-Status", "break"]]);
  }

  /** Writes an event to the outbound socket if this socket would receive it. */
  fire(name: string, extra: [string, HeaderValue][], body?: string): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    const subclass = name === "CUSTOM" ? String(extra.find(([k]) => k === "Event-Subclass")?.[1] ?? "") : undefined;
    // myevents does not deliver mod_audio_stream's CUSTOM events; the explicit subscription does.
    const wanted = subclass !== undefined ? this.customSubscriptions.has(subclass) : this.myevents;
    if (!wanted) return;
    this.eventsSent.push(subclass ?? name);
    socket.write(eventPlain([["Event-Name", name], ...extra, ...channelHeaders(this.options.channel)], body));
  }
}
