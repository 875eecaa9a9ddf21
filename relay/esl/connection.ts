/**
 * One event-socket TCP connection, inbound or outbound: the parser on the
 * socket's bytes, and the replies matched to requests in order (FreeSWITCH
 * answers each command on a connection in the order it was sent). What
 * modesl gets wrong, this does not: a request that times out keeps its place
 * so later replies still match; every pending request fails with
 * ESL_DISCONNECTED when the socket goes, whatever the reason; the socket is
 * destroyed on any wire error and on close, so nothing leaks.
 */
import type { Socket } from "node:net";
import type { Logger } from "../log.js";
import { contentType, EslParser, EslProtocolError, parseEventPlain, type EslEvent, type EslMessage } from "./parser.js";

/** A failed request, with a stable code (see CommandError in commands.ts). */
export class EslError extends Error {
  override readonly name = "EslError";
  constructor(
    readonly code: "ESL_UNAVAILABLE" | "ESL_TIMEOUT" | "ESL_DISCONNECTED" | "ESL_REFUSED",
    message: string,
  ) {
    super(message);
  }
}

/** What the connection tells its owner. Each hook runs guarded. */
export interface EslConnectionHooks {
  onEvent?(event: EslEvent): void;
  /** `auth/request`, `text/disconnect-notice`, `text/rude-rejection`, anything not a reply or an event. */
  onNotice?(message: EslMessage): void;
  onClose?(why: string): void;
}

interface Pending {
  resolve: (message: EslMessage) => void;
  reject: (err: EslError) => void;
  timer: NodeJS.Timeout;
  /** Timed out: its reply, when it comes, is dropped. */
  abandoned: boolean;
}

const REPLY_TYPES = new Set(["command/reply", "api/response"]);

/** A socket speaking the event-socket protocol. */
export class EslConnection {
  private readonly parser = new EslParser();
  private readonly pending: Pending[] = [];
  private closedWhy: string | undefined;

  constructor(
    readonly socket: Socket,
    private readonly log: Logger,
    private readonly hooks: EslConnectionHooks,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.close(`socket error: ${err.message}`));
    socket.on("close", () => this.close("socket closed"));
    socket.on("end", () => this.close("peer closed"));
  }

  get closed(): boolean {
    return this.closedWhy !== undefined;
  }

  /** Requests waiting for their reply (timed-out ones included until it comes). */
  get waiting(): number {
    return this.pending.length;
  }

  /**
   * Writes `text` (built by wire.ts) and resolves with its reply. Rejects
   * with ESL_TIMEOUT after `timeoutMs`, ESL_DISCONNECTED if the socket goes
   * first; never left hanging.
   */
  request(text: string, timeoutMs: number): Promise<EslMessage> {
    if (this.closedWhy !== undefined) return Promise.reject(new EslError("ESL_DISCONNECTED", `event socket closed (${this.closedWhy})`));
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        abandoned: false,
        timer: setTimeout(() => {
          entry.abandoned = true;
          reject(new EslError("ESL_TIMEOUT", `no reply within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.pending.push(entry);
      this.socket.write(text);
    });
  }

  /** Writes without waiting for a reply (`exit`). */
  send(text: string): void {
    if (this.closedWhy === undefined) this.socket.write(text);
  }

  /** Destroys the socket and fails everything pending. Idempotent. */
  close(why: string): void {
    if (this.closedWhy !== undefined) return;
    this.closedWhy = why;
    this.socket.destroy();
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      if (!entry.abandoned) entry.reject(new EslError("ESL_DISCONNECTED", `event socket closed before the reply (${why})`));
    }
    this.guard("onClose", () => this.hooks.onClose?.(why));
  }

  private onData(chunk: Buffer): void {
    if (this.closedWhy !== undefined) return;
    let messages: EslMessage[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      const code = err instanceof EslProtocolError ? err.code : "ESL_PARSE_FAILED";
      this.log.warn({ code, detail: err instanceof Error ? err.message : String(err) }, "event socket sent bytes that are not the protocol; closing it");
      this.close(code);
      return;
    }
    for (const message of messages) {
      if (this.closedWhy !== undefined) return;
      this.dispatch(message);
    }
  }

  private dispatch(message: EslMessage): void {
    const type = contentType(message);
    if (REPLY_TYPES.has(type)) {
      const entry = this.pending.shift();
      if (!entry) {
        this.log.debug({ type }, "event socket reply with no request waiting");
        return;
      }
      clearTimeout(entry.timer);
      if (!entry.abandoned) entry.resolve(message);
      return;
    }
    if (type === "text/event-plain") {
      let event: EslEvent;
      try {
        event = parseEventPlain(message.body ?? Buffer.alloc(0));
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, "unreadable event ignored");
        return;
      }
      this.guard("onEvent", () => this.hooks.onEvent?.(event));
      return;
    }
    this.guard("onNotice", () => this.hooks.onNotice?.(message));
  }

  private guard(what: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.log.error({ err, hook: what }, "event socket handler failed");
    }
  }
}

/** The text of an api/response, or the Reply-Text of a command/reply. */
export function replyText(message: EslMessage): string {
  if (contentType(message) === "api/response") return (message.body ?? Buffer.alloc(0)).toString("utf8").trim();
  return (message.headers.get("Reply-Text") ?? "").trim();
}
