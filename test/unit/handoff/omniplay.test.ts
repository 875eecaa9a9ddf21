import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OmniplayClient, OmniplayError, type Ticket, type TicketRequest } from "../../../workers/handoff/omniplay.js";
import { startOmniplayStandIn, TICKET_FIELDS, type OmniplayStandIn } from "../../stand-ins/omniplay.js";

const TOKEN = "svc-token-0123456789";
let omniplay: OmniplayStandIn;
beforeAll(async () => {
  omniplay = await startOmniplayStandIn({ token: TOKEN });
});
afterAll(async () => {
  await omniplay.close();
});
beforeEach(() => omniplay.script({}));

let calls = 0;
const callUuid = () => `5f0c1a2b-0000-4000-8000-${String(++calls).padStart(12, "0")}`;
const noSleep = async () => undefined;
const client = (companyId = "acme-1", over: { token?: string | null; timeoutMs?: number } = {}) =>
  new OmniplayClient({ baseUrl: omniplay.url, serviceToken: over.token === undefined ? TOKEN : over.token, companyId }, { sleep: noSleep, timeoutMs: over.timeoutMs ?? 2000 });

const ticketRequest = (call_uuid: string): TicketRequest => ({
  call_uuid,
  caller_id: "+5511999990000",
  transcript: [
    { role: "agent", text: "Olá! Como posso ajudar?", timestamp: "2026-11-23T13:00:00.000Z" },
    { role: "caller", text: "Quero falar com um atendente.", timestamp: "2026-11-23T13:00:04.000Z" },
  ],
  summary: "Cliente pediu um atendente; fora do horário.",
  provider: "openai-realtime:gpt-realtime",
  language: "pt-BR",
  duration_seconds: 12.4,
  turns: 1,
  avg_latency_ms: 640,
  handoff_reason: "after_hours",
  queue_id: "1",
  secretary_uuid: "d3e0a000-0000-4000-8000-0000000000a1",
  attach_recording: false,
  conversation_id: null,
});

/** A store like the CallSession's storage. */
function memoryStore() {
  let kept: Ticket | null = null;
  return { get: () => kept, put: (t: Ticket) => void (kept = t), get kept() { return kept; } };
}

describe("OmniPlay client against the stand-in", () => {
  it("asks for online agents with exactly the issue's headers", async () => {
    omniplay.script({ agents: [{ id: 5, name: "Ana", extension: "200", status: "online" }] });
    const agents = await client("acme-headers").onlineAgents();
    expect(agents).toEqual({ hasOnlineAgents: true, agents: [{ id: 5, name: "Ana", extension: "200", status: "online" }], dialString: "user/200", strategy: "ring_all" });
    expect(omniplay.log("acme-headers")).toEqual([
      {
        method: "GET",
        path: "/api/voice/agents/online",
        headers: { authorization: `Bearer ${TOKEN}`, "x-service-name": "voice-ai-realtime", "x-company-id": "acme-headers", "idempotency-key": null, "content-type": null },
        body: undefined,
      },
    ]);
  });

  it("nobody online", async () => {
    expect(await client().onlineAgents()).toMatchObject({ hasOnlineAgents: false, agents: [] });
  });

  it("creates a ticket with exactly the issue's body, keyed by the call", async () => {
    const id = callUuid();
    const store = memoryStore();
    const t = await client("acme-ticket").createTicket(ticketRequest(id), store);
    expect(t).toMatchObject({ ticket_uuid: expect.any(String), contact_id: expect.any(Number), voice_conversation_id: expect.any(Number), status: "pending", created_at: expect.any(String) });
    expect(typeof t.ticket_id).toBe("number");
    expect(store.kept).toEqual(t);
    const [entry] = omniplay.log("acme-ticket") as { headers: Record<string, unknown>; body: Record<string, unknown> }[];
    expect(Object.keys(entry!.body).sort()).toEqual([...TICKET_FIELDS].sort());
    expect(entry!.body).toEqual(ticketRequest(id));
    expect(entry!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, "x-service-name": "voice-ai-realtime", "x-company-id": "acme-ticket", "idempotency-key": id, "content-type": "application/json" });
  });

  it("a lost answer is retried and still makes one ticket", async () => {
    const id = callUuid();
    omniplay.script({ loseNext: 1 });
    const before = omniplay.tickets().length;
    const t = await client("acme-lost").createTicket(ticketRequest(id));
    expect(omniplay.tickets().length).toBe(before + 1);
    expect(omniplay.log("acme-lost")).toHaveLength(2);
    expect(omniplay.tickets().at(-1)?.ticket_id).toBe(t.ticket_id);
  });

  it("the lost-answer scenario by company id (as from inside workerd)", async () => {
    const id = callUuid();
    const first = await client("test-lost-1").createTicket(ticketRequest(id));
    const again = await client("test-lost-1").createTicket(ticketRequest(id));
    expect(again.ticket_id).toBe(first.ticket_id);
    expect(omniplay.tickets().filter((t) => t.body.call_uuid === id)).toHaveLength(1);
  });

  it("a stored ticket is returned without asking OmniPlay again (session evicted mid-handoff)", async () => {
    const id = callUuid();
    const store = memoryStore();
    const first = await client("acme-store").createTicket(ticketRequest(id), store);
    const again = await client("acme-store").createTicket(ticketRequest(id), store);
    expect(again).toEqual(first);
    expect(omniplay.log("acme-store")).toHaveLength(1);
  });

  it("5xx is retried, then succeeds", async () => {
    omniplay.script({ failNext: 2, failStatus: 502 });
    const t = await client("acme-5xx").createTicket(ticketRequest(callUuid()));
    expect(t.status).toBe("pending");
    expect(omniplay.log("acme-5xx")).toHaveLength(3);
  });

  it("down: a coded error after the attempts, which the handoff turns into the spoken fallback", async () => {
    const err = await client("test-down-1").createTicket(ticketRequest(callUuid())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OmniplayError);
    expect(err).toMatchObject({ code: "http", status: 503 });
    expect(omniplay.log("test-down-1")).toHaveLength(3);
    await expect(client("test-down-1").onlineAgents()).rejects.toMatchObject({ code: "http" });
  });

  it("a wrong token is unauthorized and not retried", async () => {
    await expect(client("acme-auth", { token: "wrong" }).createTicket(ticketRequest(callUuid()))).rejects.toMatchObject({ code: "unauthorized", status: 401 });
    await expect(client("acme-auth", { token: null }).onlineAgents()).rejects.toMatchObject({ code: "unauthorized" });
    expect(omniplay.log("acme-auth")).toHaveLength(2);
  });

  it("a body OmniPlay does not know is refused (422), not retried", async () => {
    const bad = { ...ticketRequest(callUuid()), extra: 1 } as unknown as TicketRequest;
    await expect(client("acme-422").createTicket(bad)).rejects.toMatchObject({ code: "http", status: 422 });
    expect(omniplay.log("acme-422")).toHaveLength(1);
  });

  it("slow: times out per attempt", async () => {
    omniplay.script({ delayMs: 400 });
    await expect(client("acme-slow", { timeoutMs: 100 }).onlineAgents()).rejects.toMatchObject({ code: "timeout" });
  });

  it("nothing listening: a network error", async () => {
    const c = new OmniplayClient({ baseUrl: "http://127.0.0.1:1", serviceToken: null, companyId: "x" }, { sleep: noSleep });
    await expect(c.onlineAgents()).rejects.toMatchObject({ code: "network" });
  });
});
