/**
 * OmniPlay stand-in: the two endpoints the voice secretary uses, with the
 * headers and bodies of issue 5, auth checks, and failure injection.
 *
 * - `GET /api/voice/agents/online` -> `{hasOnlineAgents, agents, dialString, strategy}`
 * - `POST /api/tickets/realtime-handoff` -> 201 with the ticket; the same
 *   `call_uuid` again -> 200 with the same ticket (OmniPlay de-duplicates on it)
 *
 * Requests need `X-Service-Name: voice-ai-realtime` and `X-Company-Id`; with
 * a `token` option they need `Authorization: Bearer <token>` too. The
 * scenario comes from the company id (`test-<scenario>-...`, like the other
 * stand-ins, so tests inside workerd can pick one) or from `script()`:
 * `online` (agents on 200 and 201), `offline` / `default` (nobody), `down`
 * (503 on everything), `lost` (the ticket is created but the first answer is
 * a 503, as when a response is lost), `slow` (answers after `delayMs`).
 * Every request is logged under the company id (`GET /_stand-in/log?key=`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { scenarioOf, sendJson, startStandIn, type StandIn } from "./server.js";

export const TICKET_FIELDS = [
  "call_uuid",
  "caller_id",
  "transcript",
  "summary",
  "provider",
  "language",
  "duration_seconds",
  "turns",
  "avg_latency_ms",
  "handoff_reason",
  "queue_id",
  "secretary_uuid",
  "attach_recording",
  "conversation_id",
] as const;

export interface StandInAgent {
  id: number;
  name: string;
  extension: string;
  status: string;
}

export interface OmniplayScript {
  agents?: StandInAgent[];
  /** Answer the next n requests with this status (before doing anything). */
  failNext?: number;
  failStatus?: number;
  /** Create the ticket, then answer the next n ticket requests with 503 (a lost answer). */
  loseNext?: number;
  delayMs?: number;
}

export interface StoredTicket {
  ticket_id: number;
  ticket_uuid: string;
  contact_id: number;
  voice_conversation_id: number;
  status: "pending";
  created_at: string;
  companyId: string;
  body: Record<string, unknown>;
}

export interface OmniplayStandIn extends StandIn {
  /** Tickets created, in order (one per company and call_uuid). */
  tickets(): StoredTicket[];
  /** Replaces the script for requests whose company id has no scenario of its own. */
  script(s: OmniplayScript): void;
}

const ONLINE: StandInAgent[] = [
  { id: 5, name: "Ana Souza", extension: "200", status: "online" },
  { id: 6, name: "Bruno Lima", extension: "201", status: "online" },
];

export async function startOmniplayStandIn(options: { token?: string; port?: number } = {}): Promise<OmniplayStandIn> {
  const tickets = new Map<string, StoredTicket>();
  let scripted: OmniplayScript = {};
  let nextTicket = 48_210;

  // A scenario's counters (loseNext, ...) live per company, for the life of the stand-in.
  const scenarios = new Map<string, OmniplayScript>();
  function scriptFor(companyId: string): OmniplayScript {
    const scenario = scenarioOf(companyId);
    const fresh: Record<string, () => OmniplayScript> = {
      online: () => ({ agents: ONLINE }),
      down: () => ({ failNext: Infinity, failStatus: 503 }),
      slow: () => ({ delayMs: 3000 }),
      lost: () => ({ loseNext: 1 }),
    };
    const make = fresh[scenario];
    if (!make) return scripted;
    let s = scenarios.get(companyId);
    if (!s) scenarios.set(companyId, (s = make()));
    return s;
  }

  function refuse(req: IncomingMessage, res: ServerResponse): boolean {
    const auth = req.headers.authorization;
    if (options.token !== undefined && auth !== `Bearer ${options.token}`) {
      sendJson(res, 401, { error: "invalid service token" });
      return true;
    }
    if (req.headers["x-service-name"] !== "voice-ai-realtime" || !req.headers["x-company-id"]) {
      sendJson(res, 400, { error: "X-Service-Name: voice-ai-realtime and X-Company-Id are required" });
      return true;
    }
    return false;
  }

  function badTicket(body: unknown): string | undefined {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return "body must be a JSON object";
    const b = body as Record<string, unknown>;
    const missing = TICKET_FIELDS.filter((f) => !(f in b));
    if (missing.length) return `missing ${missing.join(", ")}`;
    const extra = Object.keys(b).filter((k) => !(TICKET_FIELDS as readonly string[]).includes(k));
    if (extra.length) return `unknown ${extra.join(", ")}`;
    if (typeof b.call_uuid !== "string" || typeof b.summary !== "string" || !Array.isArray(b.transcript)) return "call_uuid, summary and transcript have the wrong type";
    for (const t of b.transcript as unknown[]) {
      const row = t as Record<string, unknown>;
      if (typeof row?.role !== "string" || typeof row.text !== "string" || typeof row.timestamp !== "string") return "transcript rows are {role, text, timestamp}";
    }
    return undefined;
  }

  const standIn = await startStandIn(
    {
      http: async (req, res, raw, log) => {
        const url = new URL(req.url ?? "/", "http://stand-in");
        const companyId = String(req.headers["x-company-id"] ?? "");
        let body: unknown = undefined;
        if (raw.length) {
          try {
            body = JSON.parse(raw.toString("utf8"));
          } catch {
            body = raw.toString("utf8");
          }
        }
        log(companyId, {
          method: req.method,
          path: url.pathname,
          headers: {
            authorization: req.headers.authorization ?? null,
            "x-service-name": req.headers["x-service-name"] ?? null,
            "x-company-id": req.headers["x-company-id"] ?? null,
            "idempotency-key": req.headers["idempotency-key"] ?? null,
            "content-type": req.headers["content-type"] ?? null,
          },
          body,
        });
        const known = (req.method === "GET" && url.pathname === "/api/voice/agents/online") || (req.method === "POST" && url.pathname === "/api/tickets/realtime-handoff");
        if (!known) return false;
        const s = scriptFor(companyId);
        if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
        if (refuse(req, res)) return true;
        if (s.failNext && s.failNext > 0) {
          s.failNext -= 1;
          sendJson(res, s.failStatus ?? 503, { error: "injected failure" });
          return true;
        }
        if (req.method === "GET") {
          const agents = (s.agents ?? []).filter((a) => a.status === "online");
          sendJson(res, 200, {
            hasOnlineAgents: agents.length > 0,
            agents,
            dialString: agents.length ? agents.map((a) => `user/${a.extension}`).join(" & ") : "",
            strategy: "ring_all",
          });
          return true;
        }
        const problem = badTicket(body);
        if (problem) {
          sendJson(res, 422, { error: problem });
          return true;
        }
        const b = body as Record<string, unknown>;
        const key = `${companyId}/${String(b.call_uuid)}`;
        let ticket = tickets.get(key);
        const created = !ticket;
        if (!ticket) {
          const id = nextTicket++;
          ticket = {
            ticket_id: id,
            ticket_uuid: `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`,
            contact_id: 900 + (id % 100),
            voice_conversation_id: 7000 + (id % 1000),
            status: "pending",
            created_at: new Date().toISOString(),
            companyId,
            body: b,
          };
          tickets.set(key, ticket);
        }
        if (s.loseNext && s.loseNext > 0) {
          s.loseNext -= 1;
          sendJson(res, 503, { error: "injected: the ticket was created, the answer is lost" });
          return true;
        }
        const { companyId: _c, body: _b, ...answer } = ticket;
        sendJson(res, created ? 201 : 200, answer);
        return true;
      },
    },
    options.port,
  );
  return {
    ...standIn,
    tickets: () => [...tickets.values()],
    script: (s) => {
      scripted = { ...s };
    },
  };
}
