/**
 * A simulated FreeSWITCH for the relay's tests and the local demo: the
 * inbound event socket (auth with a password, `api` and `bgapi` for the
 * commands the relay may use, each recorded with its time), and calls that
 * reach the relay the way the dialplan makes them (see {@link SimCall}).
 * Commands outside the simulator's set answer `-ERR` like an unknown
 * command, and are recorded: tests assert none was ever sent.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { SimChannel } from "./channel-data.js";
import { SimCall } from "./sim-call.js";
import { apiResponse, commandReply, CommandSplitter, eventPlain } from "./wire.js";

export interface FreeSwitchSimOptions {
  password: string;
  /** 0 picks a free port. */
  eslPort: number;
  relayAudioPort: number;
  relayOutboundPort: number;
  /**
   * Extensions that exist, and those registered (sofia_contact answers a
   * contact). A transfer to one runs its dialplan (see {@link SimUser}).
   */
  users: Record<string, SimUser>;
  modules: string[];
  tmpDir: string;
}

/**
 * An extension as FusionPBX's local-extension dialplan treats a call
 * transferred to it: `bridge user/<ext>@<domain>` that rings for the
 * extension's `call_timeout`, then voicemail when nobody answered.
 */
export interface SimUser {
  registered: boolean;
  /** What the person does when it rings: answer (default), let it ring out, or be busy. */
  answers?: "answer" | "no-answer" | "busy";
  /** How long it rings before being answered, ms (default 150). */
  answerAfterMs?: number;
  /** The extension's call_timeout, ms, before the bridge gives up with NO_ANSWER (default 30 s). */
  ringTimeoutMs?: number;
}

/**
 * The targets of an inline `m:^:...^bridge:user/a@d,user/b@d^park` (FreeSWITCH's
 * inline dialplan with `^` as separator), or undefined for any other inline.
 */
function ringAllTargets(inline: string): { extension: string; domain: string }[] | undefined {
  if (!inline.startsWith("m:^:")) return undefined;
  const apps = inline.slice(4).split("^");
  const bridge = apps.find((a) => a.startsWith("bridge:"));
  if (!bridge || apps.at(-1) !== "park") return undefined;
  const targets = bridge.slice("bridge:".length).split(",").map((t) => /^user\/([^@]+)@(.+)$/.exec(t));
  if (targets.some((t) => !t)) return undefined;
  return targets.map((t) => ({ extension: t![1]!, domain: t![2]! }));
}

/** One API command as the simulator received it. */
export interface ApiRecord {
  at: number;
  line: string;
  via: "inbound" | "inbound-bgapi" | "outbound";
  reply: string;
}

export class FreeSwitchSim {
  readonly calls = new Map<string, SimCall>();
  readonly apis: ApiRecord[] = [];
  readonly inboundSockets = new Set<Socket>();
  authFailures = 0;
  /** Answer nothing on the inbound socket until {@link releaseReplies} (a FreeSWITCH that hangs). */
  holdReplies = false;
  /** Accept inbound connections and drop them at once (FreeSWITCH restarting). */
  refuseInbound = false;
  private held: { socket: Socket; bytes: Buffer }[] = [];
  private readonly server: Server;
  readonly options: FreeSwitchSimOptions;

  private constructor(options: FreeSwitchSimOptions) {
    this.options = options;
    this.server = createServer((socket) => this.onInbound(socket));
  }

  static async start(options: Partial<FreeSwitchSimOptions> & Pick<FreeSwitchSimOptions, "relayAudioPort" | "relayOutboundPort">): Promise<FreeSwitchSim> {
    const sim = new FreeSwitchSim({ password: "ClueCon", eslPort: 0, users: { "200": { registered: true }, "201": { registered: false } }, modules: ["mod_audio_stream", "mod_sofia"], tmpDir: join(tmpdir(), `fs-sim-${randomUUID()}`), ...options });
    await new Promise<void>((resolve, reject) => {
      sim.server.once("error", reject);
      sim.server.listen(sim.options.eslPort, "127.0.0.1", () => resolve());
    });
    return sim;
  }

  get eslPort(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A new call's channel (defaults: a caller whose name is latin1, not UTF-8). */
  channel(overrides: Partial<SimChannel> = {}): SimChannel {
    return {
      callId: randomUUID(),
      secretaryId: "5e0c0a11-0000-4000-8000-00000000ec40",
      domainId: "d0d0d0d0-0000-4000-8000-000000000001",
      domainName: "pbx.example.com",
      callerNumber: "+5511999990000",
      callerName: Buffer.from("Jos\xe9 Concei\xe7\xe3o", "latin1"),
      destination: "8000",
      context: "pbx.example.com",
      ...overrides,
    };
  }

  /** Creates a call (not yet connected anywhere: the test decides the order). */
  call(overrides: Partial<SimChannel> = {}, options: { legacyPath?: boolean } = {}): SimCall {
    const channel = this.channel(overrides);
    const call = new SimCall({
      ...options,
      channel,
      relayAudioPort: this.options.relayAudioPort,
      relayOutboundPort: this.options.relayOutboundPort,
      tmpDir: this.options.tmpDir,
      api: (line, via) => this.api(line, via),
    });
    this.calls.set(channel.callId, call);
    return call;
  }

  /** API commands received whose first word is `name`. */
  apisNamed(name: string): ApiRecord[] {
    return this.apis.filter((a) => a.line.split(" ")[0] === name);
  }

  /** Runs one API command like FreeSWITCH would; records it. */
  api(line: string, via: ApiRecord["via"]): string {
    const reply = this.execute(line.trim().split(/ +/));
    this.apis.push({ at: performance.now(), line, via, reply });
    return reply;
  }

  async close(): Promise<void> {
    for (const call of this.calls.values()) {
      call.module.stop();
      call.socket?.destroy();
    }
    for (const socket of this.inboundSockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sends the replies held back, in order. */
  releaseReplies(): void {
    this.holdReplies = false;
    for (const { socket, bytes } of this.held.splice(0)) if (!socket.destroyed) socket.write(bytes);
  }

  /** Cuts every inbound event-socket connection (FreeSWITCH restarting). */
  dropInbound(): void {
    for (const socket of this.inboundSockets) socket.destroy();
  }

  private execute([name = "", ...args]: string[]): string {
    const call = this.calls.get(args[0] ?? "");
    const noSuch = "-ERR No such channel!";
    switch (name) {
      case "status":
        return "UP 0 years, 0 days\nFreeSWITCH (Version 1.10.12-release) is ready\n";
      case "module_exists":
        return this.options.modules.includes(args[0] ?? "") ? "true" : "false";
      case "user_exists":
        return args[0] === "id" && this.options.users[args[1] ?? ""] && args[2] === "pbx.example.com" ? "true" : "false";
      case "sofia_contact": {
        const ext = /^\*\/([^@]+)@pbx\.example\.com$/.exec(args[0] ?? "")?.[1] ?? "";
        return this.options.users[ext]?.registered ? `sofia/internal/sip:${ext}@198.51.100.20:5060` : "error/user_not_registered";
      }
      case "uuid_break":
        if (!call || call.hungUp) return noSuch;
        call.breakAll();
        return "+OK";
      case "uuid_kill":
        if (!call || call.hungUp) return noSuch;
        setImmediate(() => call.hangup(args[1] ?? "NORMAL_CLEARING"));
        return "+OK";
      case "uuid_transfer":
        if (!call || call.hungUp) return noSuch;
        // `park inline`: the inline dialplan runs park (cancelling a bridge that rings).
        if (args[2] === "inline") {
          if (args[1] === "park") {
            call.park();
            return "+OK";
          }
          const ringAll = ringAllTargets(args[1] ?? "");
          if (!ringAll) return "-ERR the simulator runs only `park` and the relay's ring-all inline";
          call.transferred = { destination: ringAll.map((t) => t.extension).join(","), context: "inline" };
          call.transfers.push(call.transferred);
          call.ringAll(ringAll.map((t) => ({ ...t, user: t.domain === call.domainName ? this.options.users[t.extension] : undefined })));
          return "+OK";
        }
        if (args[2] !== "XML" || !args[3]) return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]";
        // The stream and the outbound socket keep running after a transfer (shared/FREESWITCH.md).
        call.transferred = { destination: args[1] ?? "", context: args[3] };
        call.transfers.push(call.transferred);
        call.runDestination(args[1] ?? "", this.options.users[args[1] ?? ""]);
        return "+OK";
      case "uuid_audio_stream":
        if (!call || call.hungUp) return noSuch;
        if (args[1] !== "stop") return "-USAGE: the simulator only stops streams";
        call.module.stop();
        return "+OK Success";
      default:
        return `-ERR ${name} Command not found!`;
    }
  }

  private onInbound(socket: Socket): void {
    socket.on("error", () => undefined);
    if (this.refuseInbound) {
      socket.destroy();
      return;
    }
    this.inboundSockets.add(socket);
    socket.on("close", () => this.inboundSockets.delete(socket));
    let authed = false;
    const splitter = new CommandSplitter();
    socket.write("Content-Type: auth/request\n\n");
    socket.on("data", (chunk) => {
      for (const { line, headers } of splitter.push(chunk)) {
        const [verb = "", ...rest] = line.split(" ");
        if (!authed) {
          if (verb === "auth" && rest.join(" ") === this.options.password) {
            authed = true;
            socket.write(commandReply("+OK accepted"));
          } else {
            this.authFailures++;
            socket.write(commandReply("-ERR invalid"));
            socket.end();
          }
          continue;
        }
        if (verb === "api") {
          const reply = apiResponse(this.api(rest.join(" "), "inbound"));
          if (this.holdReplies) this.held.push({ socket, bytes: reply });
          else socket.write(reply);
        }
        else if (verb === "bgapi") {
          const job = headers.get("Job-UUID") ?? randomUUID();
          socket.write(commandReply(`+OK Job-UUID: ${job}`, [["Job-UUID", job]]));
          const result = this.api(rest.join(" "), "inbound-bgapi");
          setImmediate(() => socket.write(eventPlain([["Event-Name", "BACKGROUND_JOB"], ["Job-UUID", job], ["Job-Command", rest[0] ?? ""]], result)));
        } else if (verb === "event") socket.write(commandReply("+OK event listener enabled plain"));
        else if (verb === "exit") {
          socket.write(commandReply("+OK bye"));
          socket.end();
        } else socket.write(commandReply("-ERR command not found"));
      }
    });
  }
}
