/**
 * Handoff end to end, every part real on loopback: the FreeSWITCH simulator
 * (event sockets, presence: 200 registered, 201 not), the relay process,
 * the Worker in workerd with Postgres's demo secretary (copied per
 * scenario), the OpenAI Realtime stand-in and the OmniPlay stand-in.
 *
 * The caller's first utterance is transcribed by the stand-in as "Bom dia,
 * eu gostaria de saber o horário de funcionamento de vocês.", so each
 * scenario's secretary has `horário` as its handoff keyword: the keyword
 * fires on the first turn. Business hours are set per scenario to always
 * open or always closed (workerd's clock cannot be moved).
 */
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../relay/testing/wait.js";
import { masterKeyRing, seal } from "../../workers/crypto/secret-box.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import type { SimCall } from "../sim/freeswitch/sim-call.js";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { loadFixture } from "../stack/fixtures.js";
import { startLocalPostgres, type LocalPostgres } from "../stack/postgres.js";
import { connectSimulator, startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "../stack/seed.js";
import { startOmniplayStandIn, TICKET_FIELDS, type OmniplayStandIn } from "../stand-ins/omniplay.js";
import { linesAskedFor } from "../stand-ins/openai-realtime.js";
import { startStandIns, type StandIns } from "../stand-ins/stand-ins.js";
import { ignoringProxyResets } from "../support/socket-resets.js";

const token = randomBytes(24).toString("hex");
const masterKey = randomBytes(32).toString("base64");
let db: LocalPostgres;
let sql: postgres.Sql;
let standIns: StandIns;
let omniplay: OmniplayStandIn;
let cloud: LocalCloud;
let sim: FreeSwitchSim;
let relay: RelayProcess;

let refuseTransfers = false;
const OPEN = { timeZone: "America/Sao_Paulo", groups: [{ hour: "0-23" }] };
const CLOSED = { timeZone: "America/Sao_Paulo", groups: [{ year: "1999" }] };

beforeAll(async () => {
  db = await startLocalPostgres({ seed: true });
  sql = postgres(db.url, { max: 2, onnotice: () => undefined });
  standIns = await startStandIns();
  omniplay = await startOmniplayStandIn();
  await sql`update omniplay_settings set base_url = ${omniplay.url} where tenant_id = ${DEMO_TENANT_ID}`;
  cloud = await startLocalCloud({
    relayToken: token,
    databaseUrl: db.url,
    apiSecrets: { jwtSecret: randomBytes(32).toString("hex"), secretsMasterKey: masterKey },
    vars: { ...standIns.env, LOCAL_CONFIG_TENANT_ID: DEMO_TENANT_ID },
  });
  sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0 });
  // FreeSWITCH refusing a transfer (-ERR), on demand: the simulator answers every uuid_transfer +OK.
  const sims = sim as unknown as { execute(args: string[]): string };
  const execute = sims.execute.bind(sim);
  sims.execute = (args) => {
    return args[0] === "uuid_transfer" && refuseTransfers ? "-ERR Transfer failed" : execute(args);
  };
  relay = await startRelayProcess({ cloudUrl: cloud.url.origin, relayToken: token, env: { ESL_PORT: String(sim.eslPort) } });
  await connectSimulator(sim, relay);
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
});

afterAll(() =>
  ignoringProxyResets(async () => {
    await relay?.stop();
    await sim?.close();
    await cloud?.stop();
    await omniplay?.close();
    await standIns?.close();
    await sql?.end({ timeout: 1 }).catch(() => undefined);
    await db?.stop();
  }),
);

let extension = 8100;
/** A copy of the demo secretary with `changes` (snake_case columns). */
async function secretary(changes: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const row = { id, extension: String(extension++), handoff_keywords: ["horário"], business_hours: OPEN, omniplay_company_id: `acme-${id.slice(0, 8)}`, ...changes };
  await sql`insert into secretaries
    select (jsonb_populate_record(null::secretaries, to_jsonb(s) || ${sql.json(row as never)}::jsonb)).*
    from secretaries s where s.id = ${DEMO_SECRETARY_ID}`;
  // The demo's departments (vendas 200, suporte 201, financeiro 202), for this secretary too.
  await sql`insert into transfer_rules (id, tenant_id, secretary_id, destination_id, department, phrases, priority)
    select gen_random_uuid(), tenant_id, ${id}, destination_id, department, phrases, priority from transfer_rules where secretary_id = ${DEMO_SECRETARY_ID}`;
  return id;
}

/** A realtime provider whose stand-in behaves as `scenario` (its key, sealed like the config API seals it). */
async function scriptedProvider(scenario: "transfer" | "hostile" | "message" | "unauthorized"): Promise<string> {
  const id = randomUUID();
  const sealed = await seal(await masterKeyRing(masterKey), { tenantId: DEMO_TENANT_ID, table: "ai_providers", column: "apiKeyCiphertext", rowId: id }, `sk-test-${scenario}-${id.slice(0, 8)}`);
  await sql`insert into ai_providers (id, tenant_id, name, kind, vendor, model, base_url, api_key_ciphertext, api_key_last4)
    values (${id}, ${DEMO_TENANT_ID}, ${`stand-in ${scenario}`}, 'realtime', 'openai', 'gpt-realtime', ${`${standIns.openaiRealtime.url}/v1`}, ${sealed}, ${id.slice(-4)})`;
  return id;
}

/** Places a call, waits for the greeting to play, then says the first line (a keyword for these secretaries). */
async function callAndAskForAPerson(secretaryId: string): Promise<SimCall> {
  const call = sim.call({ secretaryId });
  await call.connectSocket();
  await call.module.start();
  // The greeting has played when the last file ended a while ago (it comes as many short files).
  await waitFor(() => call.quietFor(700), { timeoutMs: 30_000, what: "the greeting to play" });
  await call.module.stream(loadFixture("caller-greeting.wav").data);
  await call.module.stream(new Uint8Array(32_000)); // a second of silence ends the turn
  return call;
}

interface ConversationRow {
  outcome: string | null;
  handoffReason: string | null;
  ticketId: string | null;
  summary: string | null;
  transcript: { role: string; text: string }[];
}
async function conversation(callId: string): Promise<ConversationRow> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [row] = await sql<ConversationRow[]>`select outcome, handoff_reason as "handoffReason", ticket_id as "ticketId", summary, transcript
      from conversations where call_id = ${callId}`;
    if (row) return row;
    if (Date.now() > deadline) throw new Error(`no conversation record for ${callId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("handoff through the relay, workerd, the OpenAI and OmniPlay stand-ins", () => {
  it("keyword in business hours, extension registered: the relay transfers and the AI stops listening", async () => {
    const id = await secretary({ transfer_extension: "200" });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 30_000, what: "uuid_transfer" });
    expect(call.transferred?.destination).toBe("200");
    // The relay stops the stream right after FreeSWITCH took the transfer: the AI hears no more.
    await waitFor(() => sim.apisNamed("uuid_audio_stream").some((a) => a.line.includes(call.callId) && a.line.endsWith("stop")), { timeoutMs: 5000, what: "uuid_audio_stream stop" });
    const conv = await conversation(call.callId);
    expect(conv).toMatchObject({ outcome: "transferred", handoffReason: "keyword_detected" });
  });

  it("keyword with nobody there (201 not registered, no agents online): ticket, protocol read, hangup after it played", async () => {
    const id = await secretary({ transfer_extension: "201" });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
    const ticket = omniplay.tickets().find((t) => t.body.call_uuid === call.callId);
    expect(ticket).toBeDefined();
    expect(Object.keys(ticket!.body).sort()).toEqual([...TICKET_FIELDS].sort());
    expect(ticket!.body).toMatchObject({ caller_id: expect.any(String), handoff_reason: "keyword_detected", language: "pt-BR", queue_id: "1", secretary_uuid: id, attach_recording: false });
    expect((ticket!.body.transcript as unknown[]).length).toBeGreaterThan(0);
    // The protocol line was played after the ticket existed, to its end: the hangup did not cut it.
    const created = Date.parse(ticket!.created_at);
    const last = call.played.at(-1)!;
    expect(last.interrupted).toBeFalsy();
    expect(call.hungUp!.at).toBeGreaterThanOrEqual(last.endedAt!);
    expect(performance.timeOrigin + last.startedAt).toBeGreaterThanOrEqual(created - 1000);
    const conv = await conversation(call.callId);
    expect(conv).toMatchObject({ outcome: "ticket_created", handoffReason: "keyword_detected", ticketId: String(ticket!.ticket_id) });
    expect(conv.summary).toBeTruthy();
  });

  it("keyword, extension not registered but OmniPlay agents online: they ring at once (ring_all), and the one registered answers", async () => {
    const id = await secretary({ transfer_extension: "201", omniplay_company_id: "test-online-e2e" });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 30_000, what: "uuid_transfer" });
    // The stand-in's online agents are 200 and 201 (201 not registered at the simulator): one inline bridge to both.
    expect(call.transferred).toEqual({ destination: "200,201", context: "inline" });
    await waitFor(() => call.dialplan === "bridged", { timeoutMs: 5000, what: "200 to answer" });
    expect(omniplay.log("test-online-e2e")).toMatchObject([{ method: "GET", path: "/api/voice/agents/online" }]);
    expect(await conversation(call.callId)).toMatchObject({ outcome: "transferred", handoffReason: "keyword_detected" });
  });

  it("after hours: a ticket with reason after_hours, nothing transferred", async () => {
    const id = await secretary({ transfer_extension: "200", business_hours: CLOSED });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
    expect(call.transferred).toBeUndefined();
    expect(omniplay.tickets().find((t) => t.body.call_uuid === call.callId)?.body.handoff_reason).toBe("after_hours");
    expect(await conversation(call.callId)).toMatchObject({ outcome: "ticket_created", handoffReason: "after_hours" });
  });

  it("max AI turns: the first answer reaches the limit and the call is transferred", async () => {
    const id = await secretary({ transfer_extension: "200", handoff_keywords: ["nunca-dito"], max_ai_turns: 1 });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 45_000, what: "uuid_transfer" });
    expect(await conversation(call.callId)).toMatchObject({ outcome: "transferred", handoffReason: "max_turns" });
  });

  it("transfer refused by FreeSWITCH: back to the AI, which takes a message on the caller's next request", async () => {
    const id = await secretary({ transfer_extension: "200", handoff_keywords: ["horário", "espera"] });
    refuseTransfers = true;
    try {
      const call = await callAndAskForAPerson(id);
      await waitFor(() => sim.apisNamed("uuid_transfer").some((a) => a.line.includes(call.callId)), { timeoutMs: 30_000, what: "the transfer attempt" });
      // The AI tells the caller; the caller asks again ("Espera, espera, ..."), which becomes a message.
      await new Promise((r) => setTimeout(r, 1500));
      await waitFor(() => call.quietFor(700), { timeoutMs: 30_000, what: "the agent's line after the failed transfer" });
      await call.module.stream(loadFixture("caller-interrupts.wav").data);
      await call.module.stream(new Uint8Array(32_000));
      await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
      expect(call.transferred).toBeUndefined();
      expect(omniplay.tickets().find((t) => t.body.call_uuid === call.callId)).toBeDefined();
      expect(await conversation(call.callId)).toMatchObject({ outcome: "ticket_created", handoffReason: "keyword_detected" });
    } finally {
      refuseTransfers = false;
    }
  });

  for (const [what, user, timeoutSeconds, line] of [
    ["busy", { registered: true, answers: "busy" }, 30, /O atendente está ocupado no momento\. Posso anotar um recado/],
    ["not answered within handoff_timeout", { registered: true, answers: "no-answer", ringTimeoutMs: 60_000 }, 5, /Ninguém atendeu agora\. Posso anotar um recado/],
  ] as const) {
    it(`transfer ${what}: the relay takes the caller back, the AI (muted while it rang) offers a message, and the caller leaves one`, async () => {
      const id = await secretary({ transfer_extension: "200", handoff_keywords: ["horário", "espera"], handoff_timeout_seconds: timeoutSeconds });
      sim.options.users["200"] = user;
      const linesBefore = linesAskedFor(standIns.openaiRealtime).length;
      try {
        const call = await callAndAskForAPerson(id);
        await waitFor(() => call.recalls === 1, { timeoutMs: 45_000, what: "the caller taken back from the transfer" });
        expect(call.transfers.map((t) => t.destination)).toEqual(["200"]);
        const transferAt = sim.apis.find((a) => a.line.startsWith(`uuid_transfer ${call.callId} 200`))!.at;
        const recallAt = sim.apis.find((a) => a.line === `uuid_transfer ${call.callId} park inline`)!.at;
        if (timeoutSeconds === 5) expect(recallAt - transferAt).toBeGreaterThanOrEqual(4900);
        // Nothing of the agent played while it rang; then the AI's line about it plays on the parked channel.
        expect(call.played.filter((p) => p.startedAt > transferAt + 50 && p.startedAt < recallAt)).toEqual([]);
        await waitFor(() => call.played.some((p) => p.startedAt > recallAt), { timeoutMs: 20_000, what: "the agent's line after the recall" });
        await waitFor(() => call.quietFor(700), { timeoutMs: 30_000, what: "the agent's line to finish" });
        const record = await sql<{ transcript: { role: string; text: string }[] }[]>`select transcript from conversations where call_id = ${call.callId}`;
        expect(record).toEqual([]); // the call goes on
        await call.module.stream(loadFixture("caller-interrupts.wav").data);
        await call.module.stream(new Uint8Array(32_000));
        await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
        expect(call.transfers).toHaveLength(1);
        expect(omniplay.tickets().find((t) => t.body.call_uuid === call.callId)).toBeDefined();
        const conv = await conversation(call.callId);
        expect(conv).toMatchObject({ outcome: "ticket_created", handoffReason: "keyword_detected" });
        // The AI was asked to say the line about it (the stand-in answers with its own canned audio).
        expect(linesAskedFor(standIns.openaiRealtime).slice(linesBefore).some((l) => line.test(l))).toBe(true);
      } finally {
        sim.options.users["200"] = { registered: true };
      }
    });
  }

  it("the model calls transfer_call(department): the department's extension, reason user_request", async () => {
    const id = await secretary({ provider_id: await scriptedProvider("transfer"), handoff_keywords: ["nunca-dito"], transfer_extension: "200" });
    sim.options.users["201"] = { registered: true };
    try {
      const call = await callAndAskForAPerson(id);
      await waitFor(() => call.transferred !== undefined, { timeoutMs: 30_000, what: "uuid_transfer" });
      expect(call.transferred).toEqual({ destination: "201", context: "demo.local" });
      expect(await conversation(call.callId)).toMatchObject({ outcome: "transferred", handoffReason: "user_request" });
    } finally {
      sim.options.users["201"] = { registered: false };
    }
  });

  it("hostile tool arguments never reach FreeSWITCH: the configured default extension is used", async () => {
    const id = await secretary({ provider_id: await scriptedProvider("hostile"), handoff_keywords: ["nunca-dito"], transfer_extension: "200" });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 30_000, what: "uuid_transfer" });
    expect(call.transferred?.destination).toBe("200");
    for (const a of sim.apis.filter((x) => x.line.includes(call.callId))) expect(a.line).toMatch(/^[\w-]+( [\w.@*/-]+)*$/);
  });

  it("the model calls take_message: the ticket carries its summary and callback number", async () => {
    const id = await secretary({ provider_id: await scriptedProvider("message"), handoff_keywords: ["nunca-dito"] });
    const call = await callAndAskForAPerson(id);
    await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
    const ticket = omniplay.tickets().find((t) => t.body.call_uuid === call.callId);
    expect(ticket?.body).toMatchObject({ handoff_reason: "user_request", summary: "Cliente quer retorno sobre a fatura.\nRetorno: +5511988887777" });
    expect(await conversation(call.callId)).toMatchObject({ outcome: "ticket_created", handoffReason: "user_request", summary: "Cliente quer retorno sobre a fatura." });
  });

  it("no provider can open: the caller is transferred (provider_failure), not left in silence", async () => {
    const id = await secretary({ provider_id: await scriptedProvider("unauthorized"), fallback_provider_id: null, transfer_extension: "200" });
    const call = sim.call({ secretaryId: id });
    await call.connectSocket();
    await call.module.start();
    await waitFor(() => call.transferred !== undefined, { timeoutMs: 30_000, what: "uuid_transfer" });
    expect(call.transferred?.destination).toBe("200");
    expect(await conversation(call.callId)).toMatchObject({ outcome: "transferred", handoffReason: "provider_failure" });
  });

  it("OmniPlay down: the caller still hears a goodbye, the call hangs up, and the record says why", async () => {
    const id = await secretary({ transfer_extension: "201", omniplay_company_id: "test-down-e2e" });
    const call = await callAndAskForAPerson(id);
    const playedBefore = call.played.length;
    await waitFor(() => call.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
    expect(call.played.length).toBeGreaterThan(playedBefore);
    expect(omniplay.tickets().find((t) => t.body.call_uuid === call.callId)).toBeUndefined();
    expect(await conversation(call.callId)).toMatchObject({ outcome: "failed", handoffReason: "keyword_detected", ticketId: null });
  });
});
