/**
 * `npm start`: the whole local stack on this machine, offline. The Worker and
 * its Durable Objects run in workerd, the relay runs as a Node process
 * pointed at it and at a simulated FreeSWITCH. `relay doctor` checks the
 * setup, one demo call streams real speech to the diagnostic echo secretary
 * and back, one demo AI call talks to the demo secretary through a vendor
 * stand-in, and one demo handoff call goes from a keyword through an
 * unanswered transfer to a ticket. It prints what happened in plain words,
 * then keeps serving until Ctrl-C.
 *
 * Ports: WORKER_PORT (8787), AUDIO_WS_PORT (8085), HEALTH_PORT (8086),
 * OUTBOUND_ESL_PORT (8022);
 * 0 picks a free one.
 */
import { randomBytes } from "node:crypto";
import { sign } from "hono/jwt";
import { aiDemoCall } from "./ai-demo.js";
import { handoffDemoCall } from "./handoff-demo.js";
import { startLocalCloud, type LocalCloud } from "./cloud.js";
import { loadFixture } from "./fixtures.js";
import { portFree } from "./ports.js";
import { startLocalPostgres, type LocalPostgres } from "./postgres.js";
import { connectSimulator, startRelayProcess, type RelayProcess } from "./relay-process.js";
import { DEMO_SECRETARY_ID, DEMO_TENANT_ID } from "./seed.js";
import { startLocalStandIns, type StandIns } from "./stand-ins.js";
import { runDoctor } from "../../relay/cli/doctor.js";
import { demoCall } from "../sim/freeswitch/demo-call.js";
import { FreeSwitchSim } from "../sim/freeswitch/freeswitch.js";

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

  // A port already taken (often a first `npm start` still serving) would otherwise stall a part of the stack.
  const wanted = { WORKER_PORT: workerPort, AUDIO_WS_PORT: audioPort, HEALTH_PORT: healthPort, OUTBOUND_ESL_PORT: outboundEslPort };
  for (const [name, p] of Object.entries(wanted)) {
    if (!(await portFree(p))) {
      console.error(`npm start: port ${p} (${name}) is already in use on 127.0.0.1 (another \`npm start\` still running?). Stop it, or set ${name}=0 to pick a free port.`);
      process.exit(1);
    }
  }
  say("Starting the local stack (offline; nothing leaves this machine).");
  const running: { cloud?: LocalCloud; relay?: RelayProcess; postgres?: LocalPostgres; standIns?: StandIns; sim?: FreeSwitchSim } = {};
  const stop = async (code: number) => {
    await running.relay?.stop().catch(() => undefined);
    await running.sim?.close().catch(() => undefined);
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

  // A simulated FreeSWITCH: the relay logs into its event socket, and demo calls dial through it.
  const sim = await FreeSwitchSim.start({ relayAudioPort: 0, relayOutboundPort: 0, password: randomBytes(12).toString("hex") });
  running.sim = sim;
  const relayEnv = { CLOUD_URL: cloud.url.origin, RELAY_TOKEN: token, ESL_HOST: "127.0.0.1", ESL_PORT: String(sim.eslPort), ESL_PASSWORD: sim.options.password, AUDIO_WS_PORT: String(audioPort), HEALTH_PORT: String(healthPort), OUTBOUND_ESL_PORT: String(outboundEslPort) };
  say(`  pbx     simulated FreeSWITCH: event socket on 127.0.0.1:${sim.eslPort}`);
  // Doctor before the relay starts, as an operator would: it opens a link with the relay's own
  // token, and a second link for the same relay would replace the running relay's.
  say("");
  say("relay doctor (what an operator runs on a PBX before starting the relay):");
  const doctorCode = await runDoctor(relayEnv, (line) => say(`  ${line}`));
  say("");

  const t1 = performance.now();
  const relay = await startRelayProcess({
    env: { ESL_HOST: relayEnv.ESL_HOST, ESL_PORT: relayEnv.ESL_PORT, ESL_PASSWORD: relayEnv.ESL_PASSWORD },
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

  await connectSimulator(sim, relay);


  const speech = loadFixture("caller-greeting.wav");
  say("");
  say(`Demo call to the diagnostic echo secretary (FreeSWITCH simulated: dialplan socket + mod_audio_stream)`);
  const seconds = speech.data.byteLength / 2 / speech.sampleRate;
  say(`  caller  speaks ${seconds.toFixed(1)} s of Brazilian Portuguese (caller-greeting.wav, ${speech.sampleRate / 1000} kHz, 20 ms frames)`);
  const echo = await demoCall(sim, speech.data);
  say(`  call    ${echo.callId}: the relay paired the event socket and the audio stream and announced the call on the link`);
  say(`  audio   ${Math.ceil(echo.sentBytes / 640)} frames out; ${echo.playedBytes} of ${echo.sentBytes} bytes came back and FreeSWITCH played them as ${echo.files} files, in order`);
  say(`  result  audio back ${echo.identical ? "identical to what was sent" : "DIFFERENT from what was sent"}; first playback ${echo.firstPlaybackMs === undefined ? "never" : ms(echo.firstPlaybackMs)} after the first frame`);
  say(`  call    ended: the caller hung up, the relay sent call.end and ${echo.socketClosed ? "closed the lingering event socket" : "DID NOT close the event socket"}`);
  const identical = echo.identical && echo.socketClosed;
  const aiOk = await aiDemoCall(relay.audioPort, standIns);
  const adminToken = await sign({ sub: "local-admin", role: "tenant_admin", tenant_id: DEMO_TENANT_ID, exp: Math.floor(Date.now() / 1000) + 12 * 3600 }, apiSecrets.jwtSecret, "HS256");
  const handoffOk = await handoffDemoCall(sim, { origin: cloud.url.origin, token: adminToken }, standIns);
  say("");
  say(`Serving. Relay health: http://127.0.0.1:${relay.healthPort}/health   Worker health: ${cloud.url.origin}/health`);
  say(`Point a mod_audio_stream at ws://127.0.0.1:${relay.audioPort}/stream/<secretary>/<call>/<caller> to talk to the echo. Ctrl-C stops.`);
  say("");
  say(`Config API: ${cloud.url.origin}/v1 (OpenAPI: ${cloud.url.origin}/v1/openapi.json). Demo tenant admin token, valid 12 h:`);
  say(`  export TOKEN=${adminToken}`);
  say(`  curl -s -H "Authorization: Bearer $TOKEN" ${cloud.url.origin}/v1/secretaries/${DEMO_SECRETARY_ID}`);
  if (!identical || !aiOk || !handoffOk || doctorCode !== 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
