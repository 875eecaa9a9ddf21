/**
 * The relay's connection to FreeSWITCH's inbound event socket (default
 * 127.0.0.1:8021): authenticate, run allow-listed API commands with a
 * timeout each, reconnect with backoff forever. While it is down, commands
 * fail at once with ESL_UNAVAILABLE (the caller can try the call's outbound
 * socket instead); commands in flight when it drops fail with
 * ESL_DISCONNECTED, never forgotten.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { connect } from "node:net";
import { Backoff } from "../link/backoff.js";
import type { Logger } from "../log.js";
import type { ApiCommand } from "./commands.js";
import { EslConnection, EslError, replyText } from "./connection.js";
import { contentType, type EslEvent, type EslMessage } from "./parser.js";
import { apiCommand, bgapiCommand, encodeCommand } from "./wire.js";

export interface InboundEslOptions {
  host: string;
  port: number;
  password: string;
  log: Logger;
  /** Per command, unless the call says otherwise. */
  commandTimeoutMs?: number;
  /** From TCP connect to authenticated. */
  connectTimeoutMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
}

export type InboundState = "idle" | "connecting" | "up" | "waiting" | "stopped";

/** The inbound event-socket client. Emits `up` after auth and `down` when an authenticated socket is lost. */
export class InboundEsl extends EventEmitter<{ up: []; down: [] }> {
  private conn: EslConnection | undefined;
  private authed = false;
  private current: InboundState = "idle";
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly jobs = new Map<string, { resolve: (text: string) => void; reject: (err: EslError) => void; timer: NodeJS.Timeout }>();
  private readonly log: Logger;
  /** Counters for /health and doctor. */
  readonly counters = { connects: 0, authFailures: 0, commands: 0, commandFailures: 0, disconnects: 0 };
  lastError: string | null = null;

  constructor(private readonly options: InboundEslOptions) {
    super();
    this.log = options.log.child({ component: "esl-inbound" });
    this.backoff = new Backoff({ minMs: options.backoffMinMs ?? 250, maxMs: options.backoffMaxMs ?? 15_000, random: options.random });
  }

  get state(): InboundState {
    return this.current;
  }

  get isUp(): boolean {
    return this.authed && this.conn !== undefined && !this.conn.closed;
  }

  start(): void {
    if (this.current === "idle") this.connect();
  }

  /** Runs `api <command>`; resolves with the response text (`+OK ...`, `-ERR ...`, `true`, ...). */
  async api(command: ApiCommand, timeoutMs = this.options.commandTimeoutMs ?? 5000): Promise<string> {
    const conn = this.ready();
    this.counters.commands++;
    try {
      return replyText(await conn.request(apiCommand(command), timeoutMs));
    } catch (err) {
      this.counters.commandFailures++;
      throw err;
    }
  }

  /** Runs `bgapi <command>` (FreeSWITCH runs it in its own thread) and resolves with the job's result. */
  async bgapi(command: ApiCommand, timeoutMs = this.options.commandTimeoutMs ?? 5000): Promise<string> {
    const conn = this.ready();
    const jobUuid = randomUUID();
    this.counters.commands++;
    const result = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.jobs.delete(jobUuid);
        this.counters.commandFailures++;
        reject(new EslError("ESL_TIMEOUT", `no background job result within ${timeoutMs} ms`));
      }, timeoutMs);
      this.jobs.set(jobUuid, { resolve, reject, timer });
    });
    const accepted = await conn.request(bgapiCommand(command, jobUuid), timeoutMs).catch((err: EslError) => err);
    if (accepted instanceof EslError || !replyText(accepted).startsWith("+OK")) {
      this.failJob(jobUuid, accepted instanceof EslError ? accepted : new EslError("ESL_REFUSED", replyText(accepted)));
    }
    return result;
  }

  /** Closes the socket, fails what is pending, stops reconnecting. */
  stop(): void {
    this.current = "stopped";
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    this.conn?.close("relay stopping");
  }

  private ready(): EslConnection {
    if (!this.isUp || !this.conn) throw new EslError("ESL_UNAVAILABLE", `inbound event socket ${this.options.host}:${this.options.port} is not connected`);
    return this.conn;
  }

  private connect(): void {
    if (this.current === "stopped") return;
    this.current = "connecting";
    this.authed = false;
    const socket = connect({ host: this.options.host, port: this.options.port });
    const conn = new EslConnection(socket, this.log, {
      onNotice: (message) => this.onNotice(conn, message),
      onEvent: (event) => this.onEvent(event),
      onClose: (why) => this.onClose(conn, why),
    });
    this.conn = conn;
    this.connectTimer = setTimeout(() => {
      if (!this.authed) conn.close("no auth/request in time");
    }, this.options.connectTimeoutMs ?? 5000);
  }

  private onNotice(conn: EslConnection, message: EslMessage): void {
    const type = contentType(message);
    if (type === "auth/request") {
      void this.authenticate(conn);
    } else if (type === "text/rude-rejection") {
      this.lastError = "ESL_ACL";
      this.log.error("FreeSWITCH refused the connection by ACL: allow 127.0.0.1 in event_socket.conf.xml (apply-inbound-acl)");
    } else if (type === "text/disconnect-notice") {
      this.log.warn("FreeSWITCH is closing the inbound event socket");
    }
  }

  private async authenticate(conn: EslConnection): Promise<void> {
    try {
      const reply = replyText(await conn.request(encodeCommand(`auth ${this.options.password}`), 5000));
      if (!reply.startsWith("+OK")) {
        this.counters.authFailures++;
        this.lastError = "ESL_AUTH_FAILED";
        this.log.error({ reply: reply.slice(0, 100) }, "FreeSWITCH refused ESL_PASSWORD: set it to the password in event_socket.conf.xml");
        conn.close("auth refused");
        return;
      }
      // Results of bgapi come as BACKGROUND_JOB events.
      await conn.request(encodeCommand("event plain BACKGROUND_JOB"), 5000);
    } catch (err) {
      conn.close(`auth failed: ${(err as Error).message}`);
      return;
    }
    if (conn.closed || this.conn !== conn) return;
    clearTimeout(this.connectTimer);
    this.authed = true;
    this.current = "up";
    this.counters.connects++;
    this.lastError = null;
    this.backoff.reset();
    this.log.info({ host: this.options.host, port: this.options.port }, "inbound event socket up");
    this.emit("up");
  }

  private onEvent(event: EslEvent): void {
    if (event.name !== "BACKGROUND_JOB") return;
    const job = this.jobs.get(event.headers.get("Job-UUID") ?? "");
    if (!job) return;
    this.jobs.delete(event.headers.get("Job-UUID") ?? "");
    clearTimeout(job.timer);
    job.resolve((event.body ?? "").trim());
  }

  private onClose(conn: EslConnection, why: string): void {
    if (this.conn !== conn) return;
    clearTimeout(this.connectTimer);
    this.conn = undefined;
    const wasUp = this.authed;
    this.authed = false;
    for (const id of [...this.jobs.keys()]) this.failJob(id, new EslError("ESL_DISCONNECTED", `event socket closed before the job finished (${why})`));
    if (wasUp) {
      this.counters.disconnects++;
      this.log.warn({ why }, "inbound event socket lost; reconnecting");
      this.emit("down");
    } else if (this.current !== "stopped") {
      this.lastError ??= "ESL_UNREACHABLE";
      this.log[this.backoff.attempt === 0 ? "warn" : "debug"]({ why, host: this.options.host, port: this.options.port }, "inbound event socket not reachable; retrying");
    }
    if (this.current === "stopped") return;
    this.current = "waiting";
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private failJob(id: string, err: EslError): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    clearTimeout(job.timer);
    this.counters.commandFailures++;
    job.reject(err);
  }
}
