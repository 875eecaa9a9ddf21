/**
 * The server the dialplan's `socket 127.0.0.1:8022 async full` connects to,
 * one TCP connection per call. Each {@link OutboundSession} says `connect`
 * (the reply carries the channel data), `myevents`, the explicit CUSTOM
 * subscription for mod_audio_stream (myevents does not deliver those) and
 * `linger`, then hands itself to the owner. At hangup FreeSWITCH sends a
 * `text/disconnect-notice` with `Content-Disposition: linger`, the last
 * events, and waits: the session closes the socket itself shortly after, so
 * FreeSWITCH never holds a session for a controller that forgot.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.js";
import { channelInfo, type ChannelInfo } from "./channel.js";
import { EslConnection, replyText } from "./connection.js";
import { contentType, type EslEvent, type EslMessage } from "./parser.js";
import type { ApiCommand } from "./commands.js";
import { apiCommand, encodeCommand, OUTBOUND_SUBSCRIPTION } from "./wire.js";

export interface OutboundServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** A session whose setup is done: the owner takes it (and must close it eventually). */
  onSession(session: OutboundSession): void;
  /** From TCP accept to the end of setup. */
  setupTimeoutMs?: number;
  /** After the disconnect notice, how long the last events get before the socket is closed. */
  lingerMs?: number;
  commandTimeoutMs?: number;
}

/** What a session tells its owner. */
export interface OutboundSessionHandler {
  onEvent(event: EslEvent): void;
  /** FreeSWITCH said the call is over (disconnect notice) or the socket went. Called once. */
  onGone(why: string): void;
  /** The socket is closed (after {@link onGone}). */
  onClosed?(): void;
}

/** One call's outbound event socket. */
export class OutboundSession {
  handler: OutboundSessionHandler | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private goneWhy: string | undefined;

  constructor(
    readonly info: ChannelInfo,
    private readonly conn: EslConnection,
    private readonly options: OutboundServerOptions,
  ) {}

  get closed(): boolean {
    return this.conn.closed;
  }

  /** Sends a prepared `sendmsg` (wire.ts) and resolves with its Reply-Text. */
  async sendmsg(text: string): Promise<string> {
    return replyText(await this.conn.request(text, this.options.commandTimeoutMs ?? 5000));
  }

  /** `api` on this socket: FreeSWITCH accepts API commands here too (used when the inbound socket is down). */
  async api(command: ApiCommand, timeoutMs = this.options.commandTimeoutMs ?? 5000): Promise<string> {
    return replyText(await this.conn.request(apiCommand(command), timeoutMs));
  }

  /** Closes the socket now; FreeSWITCH goes on with the next dialplan action if the call is still up. */
  close(why: string): void {
    clearTimeout(this.lingerTimer);
    this.conn.close(why);
  }

  /** @internal from the server */
  event(event: EslEvent): void {
    this.handler?.onEvent(event);
    // The last event of a call: nothing more will come, close now rather than at the linger deadline.
    if (event.name === "CHANNEL_HANGUP_COMPLETE" && this.goneWhy !== undefined) this.close("hangup complete");
  }

  /** @internal from the server */
  notice(message: EslMessage): void {
    if (contentType(message) !== "text/disconnect-notice") return;
    const disposition = message.headers.get("Content-Disposition") ?? "";
    this.gone(`disconnect notice (${disposition || "none"})`);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.close("linger over"), disposition === "linger" ? (this.options.lingerMs ?? 1000) : 0);
  }

  /** @internal from the server */
  gone(why: string): void {
    if (this.goneWhy !== undefined) return;
    this.goneWhy = why;
    this.handler?.onGone(why);
  }
}

/** Listens for FreeSWITCH's outbound sockets. */
export class OutboundServer {
  private readonly server: Server;
  private readonly connections = new Set<EslConnection>();
  private readonly log: Logger;
  readonly counters = { accepted: 0, sessions: 0, refused: 0 };

  constructor(private readonly options: OutboundServerOptions) {
    this.log = options.log.child({ component: "esl-outbound" });
    this.server = createServer((socket) => this.onSocket(socket));
  }

  /** Open sockets (for tests: none may be left after the calls end). */
  get open(): number {
    return this.connections.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        this.server.on("error", (err) => this.log.error({ err }, "outbound event socket server error"));
        const address = this.server.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.close("relay stopping");
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onSocket(socket: Socket): void {
    this.counters.accepted++;
    let session: OutboundSession | undefined;
    // What arrives during setup waits for the session (a caller may hang up that early).
    const early: ((s: OutboundSession) => void)[] = [];
    const later = (run: (s: OutboundSession) => void) => (session ? run(session) : early.length < 200 && early.push(run));
    const conn = new EslConnection(socket, this.log, {
      onEvent: (event) => later((s) => s.event(event)),
      onNotice: (message) => later((s) => s.notice(message)),
      onClose: (why) => {
        this.connections.delete(conn);
        session?.gone(why);
        session?.handler?.onClosed?.();
      },
    });
    this.connections.add(conn);
    const timer = setTimeout(() => conn.close("setup took too long"), this.options.setupTimeoutMs ?? 5000);
    void this.setup(conn).then(
      (info) => {
        clearTimeout(timer);
        if (!info) return;
        session = new OutboundSession(info, conn, this.options);
        this.counters.sessions++;
        try {
          this.options.onSession(session);
          for (const run of early.splice(0)) run(session);
        } catch (err) {
          this.log.error({ err, callId: info.callId }, "outbound session handler failed; closing it");
          conn.close("handler failed");
        }
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.log.warn({ err: (err as Error).message }, "outbound event socket setup failed");
        conn.close("setup failed");
      },
    );
  }

  /** connect, myevents, the CUSTOM subscription, linger. Undefined when the channel names no call. */
  private async setup(conn: EslConnection): Promise<ChannelInfo | undefined> {
    const timeout = this.options.commandTimeoutMs ?? 5000;
    const reply = await conn.request(encodeCommand("connect"), timeout);
    const info = channelInfo(reply.headers);
    if (!info) {
      this.counters.refused++;
      this.log.warn({ headers: reply.headers.size }, "outbound event socket without a call UUID; closing it (the dialplan goes on)");
      conn.close("no call uuid");
      return undefined;
    }
    await conn.request(encodeCommand("myevents"), timeout);
    await conn.request(OUTBOUND_SUBSCRIPTION, timeout);
    await conn.request(encodeCommand("linger"), timeout);
    return info;
  }
}
