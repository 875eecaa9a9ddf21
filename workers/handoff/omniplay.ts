/**
 * The OmniPlay client: who is online (`GET /api/voice/agents/online`) and
 * the ticket of a call handed off (`POST /api/tickets/realtime-handoff`),
 * with exactly the headers and bodies of issue 5.
 *
 * A call gets at most one ticket, even when an answer is lost and the
 * request is retried: the call UUID is the idempotency key (sent as
 * `Idempotency-Key`, and it is the body's `call_uuid`, which OmniPlay
 * de-duplicates on), and the ticket is kept in the caller's store (the
 * CallSession's storage) before anyone retries, so a session that was
 * evicted mid-handoff does not ask again. Every failure is an OmniplayError
 * with a stable code; the handoff turns it into the spoken fallback, never
 * silence. Plain fetch, so it runs in workerd and in Node alike.
 */

export const SERVICE_NAME = "voice-ai-realtime";

export interface OmniplayConfig {
  baseUrl: string;
  /** Decrypted service token; null when none is configured (the local stand-in). Never logged. */
  serviceToken: string | null;
  /** The secretary's OmniPlay company id. */
  companyId: string | null;
}

export interface OnlineAgent {
  id: number;
  name: string;
  extension: string;
  status: string;
}

export interface OnlineAgents {
  hasOnlineAgents: boolean;
  agents: OnlineAgent[];
  dialString: string | null;
  strategy: string | null;
}

export interface TicketRequest {
  call_uuid: string;
  caller_id: string;
  transcript: { role: string; text: string; timestamp: string }[];
  summary: string;
  provider: string | null;
  language: string;
  duration_seconds: number;
  turns: number;
  avg_latency_ms: number | null;
  handoff_reason: string;
  queue_id: string | null;
  secretary_uuid: string | null;
  attach_recording: boolean;
  conversation_id: string | null;
}

export interface Ticket {
  ticket_id: string | number;
  ticket_uuid: string;
  contact_id: string | number | null;
  voice_conversation_id: string | number | null;
  status: string;
  created_at: string;
}

/** Where the call's ticket is kept once created (the CallSession's storage). */
export interface TicketStore {
  get(): Promise<Ticket | null> | Ticket | null;
  put(ticket: Ticket): Promise<void> | void;
}

export type OmniplayErrorCode = "timeout" | "network" | "unauthorized" | "http" | "bad_response";

export class OmniplayError extends Error {
  override readonly name = "OmniplayError";
  constructor(
    readonly code: OmniplayErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
  /** Worth another attempt: the request may not have arrived, or the server may recover. */
  get retryable(): boolean {
    return this.code === "timeout" || this.code === "network" || (this.code === "http" && (this.status === 429 || (this.status ?? 0) >= 500));
  }
}

export interface OmniplayOptions {
  fetch?: typeof fetch;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts for a ticket (agents get at most two: a caller is waiting). */
  ticketAttempts?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class OmniplayClient {
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly ticketAttempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: OmniplayConfig,
    options: OmniplayOptions = {},
  ) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 4000;
    this.ticketAttempts = Math.max(1, options.ticketAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 300;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The headers every request carries (issue 5). */
  headers(): Record<string, string> {
    const h: Record<string, string> = { "X-Service-Name": SERVICE_NAME, Accept: "application/json" };
    if (this.config.serviceToken) h.Authorization = `Bearer ${this.config.serviceToken}`;
    if (this.config.companyId) h["X-Company-Id"] = this.config.companyId;
    return h;
  }

  async onlineAgents(): Promise<OnlineAgents> {
    const body = await this.withRetries(2, () => this.request("GET", "/api/voice/agents/online"));
    if (typeof body !== "object" || body === null || typeof (body as { hasOnlineAgents?: unknown }).hasOnlineAgents !== "boolean") {
      throw new OmniplayError("bad_response", "agents: no hasOnlineAgents");
    }
    const b = body as Record<string, unknown>;
    const agents = (Array.isArray(b.agents) ? b.agents : []).filter(
      (a): a is OnlineAgent => typeof a === "object" && a !== null && typeof (a as OnlineAgent).extension === "string",
    );
    return {
      hasOnlineAgents: b.hasOnlineAgents as boolean,
      agents,
      dialString: typeof b.dialString === "string" ? b.dialString : null,
      strategy: typeof b.strategy === "string" ? b.strategy : null,
    };
  }

  /** Creates the call's ticket once; a stored ticket is returned without asking again. */
  async createTicket(ticket: TicketRequest, store?: TicketStore): Promise<Ticket> {
    const kept = await store?.get();
    if (kept) return kept;
    const body = await this.withRetries(this.ticketAttempts, () =>
      this.request("POST", "/api/tickets/realtime-handoff", ticket, { "Content-Type": "application/json", "Idempotency-Key": ticket.call_uuid }),
    );
    const t = body as Partial<Ticket> | null;
    if (!t || (typeof t.ticket_id !== "string" && typeof t.ticket_id !== "number") || typeof t.ticket_uuid !== "string") {
      throw new OmniplayError("bad_response", "ticket: no ticket_id/ticket_uuid");
    }
    const created = t as Ticket;
    await store?.put(created);
    return created;
  }

  private async withRetries(attempts: number, once: () => Promise<unknown>): Promise<unknown> {
    for (let i = 1; ; i++) {
      try {
        return await once();
      } catch (err) {
        if (!(err instanceof OmniplayError) || !err.retryable || i >= attempts) throw err;
        await this.sleep(this.backoffMs * 2 ** (i - 1));
      }
    }
  }

  private async request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await this.fetch(new URL(path, this.config.baseUrl).toString(), {
          method,
          headers: { ...this.headers(), ...extra },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: controller.signal,
        });
      } catch (err) {
        throw controller.signal.aborted
          ? new OmniplayError("timeout", `${method} ${path}: no answer in ${this.timeoutMs} ms`)
          : new OmniplayError("network", `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        throw controller.signal.aborted ? new OmniplayError("timeout", `${method} ${path}: body not read in ${this.timeoutMs} ms`) : new OmniplayError("network", String(err));
      }
      // 409: the ticket of this call_uuid already exists; OmniPlay answers with it, like a 201.
      if (!res.ok && res.status !== 409) {
        throw new OmniplayError(res.status === 401 || res.status === 403 ? "unauthorized" : "http", `${method} ${path}: HTTP ${res.status}`, res.status);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new OmniplayError("bad_response", `${method} ${path}: not JSON`, res.status);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
