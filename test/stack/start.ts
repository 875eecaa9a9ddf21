/**
 * `npm start`: the whole local stack on this machine, offline. The Worker and
 * its Durable Objects run in workerd, the relay runs as a Node process
 * pointed at it, and one demo call streams real speech through them; the
 * diagnostic echo secretary plays it back. It prints what happened in plain
 * words, then keeps serving until Ctrl-C.
 *
 * Ports: WORKER_PORT (8787), AUDIO_WS_PORT (8085), HEALTH_PORT (8086),
 * OUTBOUND_ESL_PORT (8022);
 * 0 picks a free one.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import { aiDemoCall } from "./ai-demo.js";
import { startLocalCloud, type LocalCloud } from "./cloud.js";
import { loadFixture } from "./fixtures.js";
import { startLocalPostgres, type LocalPostgres } from "./postgres.js";
import { startRelayProcess, type RelayProcess } from "./relay-process.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "./seed.js";
import { startLocalStandIns, type StandIns } from "./stand-ins.js";
import { percentile, SimulatedAudioStream } from "../sim/audio-stream-client.js";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number (0-65535), got '${raw}'`);
    process.exit(78);
  }
  return n;
}

const say = (line: string) => console.log(line);
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  const workerPort = port("WORKER_PORT", 8787);
  const audioPort = port("AUDIO_WS_PORT", 8085);
  const healthPort = port("HEALTH_PORT", 8086);
  const outboundEslPort = port("OUTBOUND_ESL_PORT", 8022);
  const token = randomBytes(24).toString("hex");
  const verbose = process.env.VERBOSE === "1";

  say("Starting the local stack (offline; nothing leaves this machine).");
  const running: { cloud?: LocalCloud; relay?: RelayProcess; postgres?: LocalPostgres; standIns?: StandIns } = {};
  const stop = async (code: number) => {
    await running.relay?.stop().catch(() => undefined);
    await running.cloud?.stop().catch(() => undefined);
    await running.postgres?.stop().catch(() => undefined);
    await running.standIns?.close().catch(() => undefined);
    process.exit(code);
  };
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));

  const tp = performance.now();
  const postgres = await startLocalPostgres();
  running.postgres = postgres;
  say(`  db      Postgres ${postgres.embedded ? "(embedded) " : ""}migrated and seeded with the demo tenant (${ms(performance.now() - tp)})`);
  const apiSecrets = { jwtSecret: randomBytes(32).toString("hex"), secretsMasterKey: randomBytes(32).toString("base64") };

  const standIns = await startLocalStandIns();
  running.standIns = standIns;
  say(`  vendors stand-ins for OpenAI (${standIns.openaiRealtime.url}), Gemini Live (${standIns.gemini.url}) and ElevenLabs (${standIns.elevenlabs.url}): providers without a key use them`);

  const t0 = performance.now();
  const cloud = await startLocalCloud({
    port: workerPort,
    relayToken: token,
    echoDelayMs: 0,
    databaseUrl: postgres.url,
    apiSecrets,
    // The development relay's calls are configured from the demo tenant's secretaries (others get the echo).
    vars: { ...standIns.env, LOCAL_CONFIG_TENANT_ID: DEMO_TENANT_ID },
  });
  running.cloud = cloud;
  say(`  cloud   Worker + RelayHub + CallSession running in workerd at ${cloud.url.origin} (${ms(performance.now() - t0)})`);

  const t1 = performance.now();
  const relay = await startRelayProcess({
    cloudUrl: cloud.url.origin,
    relayToken: token,
    audioPort,
    healthPort,
    outboundEslPort,
    onLine: verbose ? (l) => console.log(`  [relay] ${l}`) : undefined,
  });
  running.relay = relay;
  const up = await relay.waitFor((l) => l.msg === "link up", 30_000, 0);
  say(`  relay   connected to the cloud as '${String(up.relayId ?? "?")}' (${ms(performance.now() - t1)}); audio WebSocket on 127.0.0.1:${relay.audioPort}`);

  const speech = loadFixture("caller-greeting.wav");
  const callId = randomUUID();
  const call = new SimulatedAudioStream({ port: relay.audioPort, secretaryId: randomUUID(), callId, callerNumber: "+5511999990000" });
  say("");
  say(`Demo call ${callId}`);
  say(`  caller  +5511999990000 dials the diagnostic echo secretary; mod_audio_stream is simulated`);
  await call.connect();
  say(`  call    started: the relay announced it on the link and the cloud opened its CallSession`);
  const seconds = speech.data.byteLength / 2 / speech.sampleRate;
  say(`  audio   streaming ${seconds.toFixed(1)} s of Brazilian Portuguese speech (caller-greeting.wav, ${speech.sampleRate / 1000} kHz, 20 ms frames)`);
  await call.stream(speech.data);
  try {
    await call.waitForBytes(speech.data.byteLength, 10_000);
  } catch (err) {
    say(`  echo    INCOMPLETE: ${(err as Error).message}`);
  }
  const back = call.receivedAudio();
  const frameBytes = (speech.sampleRate / 50) * 2;
  const identical = Buffer.compare(Buffer.from(back), Buffer.from(speech.data)) === 0;
  say(`  frames  ${call.sentAt.length} out, ${Math.floor(back.byteLength / frameBytes)} back; audio back ${identical ? "identical to what was sent" : "DIFFERENT from what was sent"}`);
  const trips = call.roundTrips(frameBytes);
  if (trips.length > 0) {
    say(`  round   trip relay -> cloud -> relay per 20 ms frame: p50 ${ms(percentile(trips, 50))}, p99 ${ms(percentile(trips, 99))}, max ${ms(Math.max(...trips))}`);
  }
  await call.close();
  await relay.waitFor((l) => l.msg === "call ended", 5_000, 0).catch(() => undefined);
  say(`  call    ended (the caller hung up; the relay sent call.end)`);
  const aiOk = await aiDemoCall(relay.audioPort, standIns);
  say("");
  say(`Serving. Relay health: http://127.0.0.1:${relay.healthPort}/health   Worker health: ${cloud.url.origin}/health`);
  say(`Point a mod_audio_stream at ws://127.0.0.1:${relay.audioPort}/stream/<secretary>/<call>/<caller> to talk to the echo. Ctrl-C stops.`);
  const adminToken = await sign({ sub: "local-admin", role: "tenant_admin", tenant_id: DEMO_TENANT_ID, exp: Math.floor(Date.now() / 1000) + 12 * 3600 }, apiSecrets.jwtSecret, "HS256");
  say("");
  say(`Config API: ${cloud.url.origin}/v1 (OpenAPI: ${cloud.url.origin}/v1/openapi.json). Demo tenant admin token, valid 12 h:`);
  say(`  export TOKEN=${adminToken}`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${cloud.url.origin}/v1/secretaries/${DEMO_SECRETARY_ID}`);
  if (!identical || !aiOk) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
