/**
 * An AI call end to end on loopback, every part real: the relay process, the
 * Worker and its Durable Objects in workerd, Postgres (the seeded demo
 * secretary, read by the config loader) and the OpenAI Realtime stand-in
 * the adapter reaches as it would reach OpenAI. A simulated
 * mod_audio_stream call hears the greeting, says its line, hears the
 * answer, and talks over it: playback stops at the relay and the
 * conversation item is truncated at what was actually played.
 */
import { randomBytes, randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalCloud, type LocalCloud } from "../stack/cloud.js";
import { loadFixture } from "../stack/fixtures.js";
import { startLocalPostgres, type LocalPostgres } from "../stack/postgres.js";
import { startRelayProcess, type RelayProcess } from "../stack/relay-process.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "../stack/seed.js";
import { startStandIns, type StandIns } from "../stand-ins/stand-ins.js";
import { SimulatedAudioStream } from "../sim/audio-stream-client.js";
import { ignoringProxyResets } from "../support/socket-resets.js";

const token = randomBytes(24).toString("hex");
let db: LocalPostgres;
let standIns: StandIns;
let cloud: LocalCloud;
let relay: RelayProcess;

beforeAll(async () => {
  db = await startLocalPostgres({ seed: true });
  standIns = await startStandIns();
  cloud = await startLocalCloud({
    relayToken: token,
    databaseUrl: db.url,
    apiSecrets: { jwtSecret: randomBytes(32).toString("hex"), secretsMasterKey: randomBytes(32).toString("base64") },
    vars: { ...standIns.env, LOCAL_CONFIG_TENANT_ID: DEMO_TENANT_ID },
  });
  // No event socket in this test: announce stream-only calls at once (the relay waits 1 s for one by default).
  relay = await startRelayProcess({ cloudUrl: cloud.url.origin, relayToken: token, env: { PLAYBACK_MODE: "stream", CALL_SOCKET_WAIT_MS: "0" } });
  await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
});

afterAll(() =>
  ignoringProxyResets(async () => {
    await relay?.stop();
    await cloud?.stop();
    await standIns?.close();
    await db?.stop();
  }),
);

const msOf = (bytes: number) => bytes / 32; // 16 kHz PCM16
const events = (key = "sk-local-stand-in") => standIns.openaiRealtime.log(key) as { type: string; [k: string]: unknown }[];

describe("an AI call through relay, workerd and the OpenAI Realtime stand-in", () => {
  it("greets, hears the caller, answers; barge-in stops playback and truncates at the played ms", async () => {
    const callId = randomUUID();
    const call = new SimulatedAudioStream({ port: relay.audioPort, secretaryId: DEMO_SECRETARY_ID, callId, callerNumber: "+5511999990000" });
    const before = events().length;
    const t0 = performance.now();
    await call.connect();
    // The greeting (the agent-greeting fixture, ~4.2 s) plays at the call's 16 kHz.
    await call.waitForBytes(1, 20_000);
    const greetingFirstAudioMs = (call.received[0]?.at ?? 0) - t0;
    await call.waitForBytes(32_000, 20_000);
    await call.waitForQuiet(800, 20_000);
    const greetingMs = msOf(call.receivedByteCount);
    expect(greetingMs).toBeGreaterThan(3000);
    const sent = events().slice(before);
    expect(sent.find((e) => e.type === "session.update")).toMatchObject({ session: { type: "realtime", instructions: expect.stringContaining("Demo Telecom"), audio: { output: { voice: "marin" } } } });

    // The caller speaks; the stand-in's VAD hears it end, "transcribes" it and answers.
    await call.stream(loadFixture("caller-greeting.wav").data);
    const spokeAt = performance.now();
    const receivedBefore = call.receivedByteCount;
    await call.stream(new Uint8Array(32_000)); // a second of silence ends the turn
    await call.waitForBytes(32 * (greetingMs + 1500), 20_000);
    const firstAnswer = call.received.find((c, i) => c.at > spokeAt && call.received.slice(0, i + 1).reduce((n, x) => n + x.bytes.byteLength, 0) > receivedBefore);
    const turnMs = (firstAnswer?.at ?? spokeAt) - spokeAt;

    // Talk over the answer: the relay's playback is cleared and the item truncated at what was heard.
    const heardBefore = msOf(call.receivedByteCount) - greetingMs;
    const interruptAt = performance.now();
    const interrupting = call.stream(loadFixture("caller-interrupts.wav").data);
    await expect.poll(() => events().filter((e) => e.type === "conversation.item.truncate").length, { timeout: 15_000 }).toBeGreaterThan(0);
    await interrupting;
    await call.waitForQuiet(1000, 20_000);
    const truncate = events().find((e) => e.type === "conversation.item.truncate") as unknown as { audio_end_ms: number };
    const answerHeard = msOf(call.receivedByteCount) - greetingMs;
    expect(truncate.audio_end_ms).toBeGreaterThan(heardBefore - 200);
    expect(truncate.audio_end_ms).toBeLessThanOrEqual(answerHeard + 100);
    // The answer (agent-transfer, ~3.9 s) was cut short, and the stand-in accepted the truncate.
    expect(answerHeard).toBeLessThan(3900);
    expect(events().filter((e) => e.type === "error")).toEqual([]);
    const lastAudioAt = call.received.at(-1)?.at ?? interruptAt;
    await call.close();

    // The conversation record: transcript of both sides, the provider, one turn or more.
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined, transform: postgres.camel });
    let turnLatency = NaN;
    try {
      const rows = await expect
        .poll(async () => sql`select transcript, turns, provider, outcome from conversations where call_id = ${callId}`, { timeout: 10_000 })
        .toHaveLength(1)
        .then(() => sql<{ transcript: { role: string; text: string }[]; turns: number; provider: string; outcome: string; avgLatencyMs: number }[]>`select transcript, turns, provider, outcome, avg_latency_ms from conversations where call_id = ${callId}`);
      const record = rows[0]!;
      expect(record.transcript.map((t) => t.role)).toEqual(expect.arrayContaining(["agent", "caller"]));
      expect(record.transcript.find((t) => t.role === "caller")?.text).toContain("horário");
      expect(record).toMatchObject({ provider: "openai-realtime:gpt-realtime", outcome: "completed" });
      expect(record.turns).toBeGreaterThanOrEqual(1);
      turnLatency = record.avgLatencyMs;
    } finally {
      await sql.end({ timeout: 1 });
    }
    // Figures for the note (latency is asserted in the benchmark issue, not here).
    // eslint-disable-next-line no-console -- figures, not assertions
    console.log(
      `e2e AI call: greeting first audio ${greetingFirstAudioMs.toFixed(0)} ms after connect; turn latency (speech_stopped -> first answer audio sent to the relay) ${turnLatency} ms, fixture end to first answer audio at the caller ${turnMs.toFixed(0)} ms; ` +
        `barge-in: truncate at ${truncate.audio_end_ms} ms of the answer (heard ${answerHeard.toFixed(0)} ms at the caller), last answer audio ${(lastAudioAt - interruptAt).toFixed(0)} ms after the caller began talking over it`,
    );
  });

  it("a repeat call hears the greeting from the cache", async () => {
    const call = new SimulatedAudioStream({ port: relay.audioPort, secretaryId: DEMO_SECRETARY_ID, callId: randomUUID(), callerNumber: "+5511999990001" });
    const before = events().length;
    const t0 = performance.now();
    await call.connect();
    await call.waitForBytes(32_000, 20_000);
    const firstAudioMs = (call.received[0]?.at ?? 0) - t0;
    // The provider was not asked to say the greeting again: its audio came from the cache.
    expect(events().slice(before).filter((e) => e.type === "response.create")).toEqual([]);
    await call.close();
    // eslint-disable-next-line no-console -- a figure, not an assertion
    console.log(`e2e AI call: cached greeting first audio ${firstAudioMs.toFixed(0)} ms after connect`);
  });
});
