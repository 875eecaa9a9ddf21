/**
 * The demo handoff call of `npm start`, the product's main path in one
 * call: a secretary made through the config API (as a dashboard would)
 * hands the caller to a person on a keyword; extension 200 is registered
 * but nobody picks up, so the relay takes the caller back when the handoff
 * timeout passes; the AI offers to take a message, the caller asks again,
 * the ticket is created at the OmniPlay stand-in, the protocol number is
 * read and the call hangs up; the conversation record and the handoff
 * stats come back from the API. Prints what happened in plain words.
 */
import { performance } from "node:perf_hooks";
import { waitFor } from "../../relay/testing/wait.js";
import type { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";
import { linesAskedFor } from "../stand-ins/openai-realtime.js";
import type { StandIns } from "../stand-ins/stand-ins.js";
import { loadFixture } from "./fixtures.js";
import { DEMO_PROVIDER_IDS } from "./seed.js";

const say = (line: string) => console.log(line);
const TIMEOUT_S = 8;

export interface ConfigApi {
  origin: string;
  token: string;
}

/** Runs the call; resolves true when every step happened. */
export async function handoffDemoCall(sim: FreeSwitchSim, api: ConfigApi, standIns: StandIns): Promise<boolean> {
  // What the CallSession asked the model to say, word for word (the stand-in answers with its own canned audio).
  const asked = () => linesAskedFor(standIns.openaiRealtime);
  let seen = asked().length;
  const newLines = () => {
    const lines = asked().slice(seen);
    seen += lines.length;
    return lines.map((l) => `"${l}"`).join(" ") || "(nothing)";
  };
  say("");
  say("Demo handoff call (a secretary made through the config API; FreeSWITCH simulated)");
  try {
    const secretary = await call<{ id: string }>(api, "POST", "/v1/secretaries", {
      name: "Secretária Demo (transferências)",
      extension: "8001",
      providerId: DEMO_PROVIDER_IDS.realtime,
      language: "pt-BR",
      greeting: "Olá! Você ligou para a Demo Telecom. Como posso ajudar?",
      handoffEnabled: true,
      handoffKeywords: ["horário", "espera"],
      handoffTimeoutSeconds: TIMEOUT_S,
      transferExtension: "200",
      presenceCheckEnabled: true,
      businessHours: { timeZone: "America/Sao_Paulo", groups: [{ hour: "0-23" }] },
      fallbackToTicketEnabled: true,
      ticketQueueId: "1",
      omniplayCompanyId: "demo",
    });
    say(`  config  POST /v1/secretaries: extension 8001, keywords "horário" and "espera" hand the call to a person (extension 200), handoff timeout ${TIMEOUT_S} s`);
    sim.options.users["200"] = { registered: true, answers: "no-answer", ringTimeoutMs: 60_000 };
    say(`  pbx     extension 200 is registered, but nobody will pick up`);
    const c = sim.call({ secretaryId: secretary.id, callerNumber: "+5511977770000" });
    await c.connectSocket();
    await c.module.start();
    await waitFor(() => c.quietFor(700), { timeoutMs: 30_000, what: "the greeting" });
    say(`  agent   ${newLines()}`);
    await c.module.stream(loadFixture("caller-greeting.wav").data);
    await c.module.stream(new Uint8Array(32_000));
    say(`  caller  "Bom dia, eu gostaria de saber o horário de funcionamento de vocês."  (keyword: horário)`);
    await waitFor(() => c.transfers.length === 1, { timeoutMs: 30_000, what: "the transfer" });
    const rangAt = performance.now();
    say(`  agent   ${newLines()}`);
    say(`  relay   presence said 200 is registered; uuid_transfer to 200: ringing, the AI muted`);
    await waitFor(() => c.recalls === 1, { timeoutMs: (TIMEOUT_S + 15) * 1000, what: "the caller taken back" });
    say(`  relay   nobody answered in ${((performance.now() - rangAt) / 1000).toFixed(1)} s: the relay cancelled the ringing and took the caller back (uuid_transfer <uuid> park inline)`);
    const recalledAt = performance.now();
    await waitFor(() => c.played.some((p) => p.startedAt > recalledAt), { timeoutMs: 20_000, what: "the agent's line" });
    await waitFor(() => c.quietFor(700), { timeoutMs: 30_000, what: "the agent's line to end" });
    say(`  agent   ${newLines()}`);
    await c.module.stream(loadFixture("caller-interrupts.wav").data);
    await c.module.stream(new Uint8Array(32_000));
    say(`  caller  "Espera, espera, não é isso que eu quero."  (a second request for a person: the transfer already failed, so it becomes a message)`);
    await waitFor(() => c.hungUp !== undefined, { timeoutMs: 45_000, what: "the hangup" });
    say(`  agent   ${newLines()}`);
    say(`  relay   hung up once that line had played`);
    const record = await recordOf(api, c.callId);
    say(
      `  record  GET /v1/conversations: outcome ${record.outcome}, reason ${record.handoffReason}, ticket ${record.ticketId ?? "none"}, handoff took ${((record.handoffDurationMs ?? 0) / 1000).toFixed(1)} s${record.handoffError ? ` (${record.handoffError})` : ""}`,
    );
    const stats = await call<{ handoffCalls: number; byReasonOutcome: { reason: string; outcome: string; count: number }[] }>(api, "GET", "/v1/stats/handoffs");
    say(`  stats   GET /v1/stats/handoffs (last 24 h): ${stats.handoffCalls} handoff(s): ${stats.byReasonOutcome.map((r) => `${r.reason}/${r.outcome} ${r.count}`).join(", ")}`);
    return record.outcome === "ticket_created" || (record.outcome === "failed" && record.handoffError !== null);
  } catch (err) {
    say(`  call    INCOMPLETE: ${(err as Error).message}`);
    return false;
  } finally {
    sim.options.users["200"] = { registered: true };
  }
}

interface Conversation {
  outcome: string | null;
  handoffReason: string | null;
  ticketId: string | null;
  handoffDurationMs: number | null;
  handoffError: string | null;
}

/** The call's conversation record, once the CallSession has stored it. */
async function recordOf(api: ConfigApi, callId: string): Promise<Conversation> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const page = await call<{ items: (Conversation & { callId: string })[] }>(api, "GET", "/v1/conversations?limit=20");
    const row = page.items.find((r) => r.callId === callId);
    if (row) return row;
    if (Date.now() > deadline) throw new Error("no conversation record");
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function call<T>(api: ConfigApi, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
