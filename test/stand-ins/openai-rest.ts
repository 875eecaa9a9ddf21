/**
 * The OpenAI REST endpoints of the turn-based pipeline, on the same server
 * as the Realtime stand-in (one server per vendor):
 * - `POST /v1/audio/transcriptions`: multipart with a `file` that must be a
 *   PCM WAV and a `model`; answers `{ text }` with the next scripted line.
 * - `POST /v1/chat/completions` with `stream: true`: server-sent
 *   `chat.completion.chunk`s, tool calls as `delta.tool_calls` (scenario
 *   `tool`, until the request carries the tool's result), a usage chunk when
 *   `stream_options.include_usage`, then `data: [DONE]`.
 * - `POST /v1/audio/speech` with `response_format: "pcm"`: raw 24 kHz PCM16,
 *   no header, sent in pieces (odd sizes included, as TCP may cut them).
 * Scenarios by key: default, `tool`, `error` (chat answers 500), `unauthorized`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseWav } from "../../shared/audio/wav.js";
import { scenarioOf, sendJson } from "./server.js";
import { LINES, sleep, speechBytes, type Line } from "./speech.js";

const CALLER_LINES: Line[] = ["caller-greeting", "caller-support", "caller-wants-human"];
const ANSWER = LINES["agent-transfer"];
const turns = new Map<string, number>();

/** The parts of a multipart/form-data body, by field name. */
function multipart(req: IncomingMessage, body: Buffer): Map<string, Buffer> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers["content-type"] ?? "");
  const parts = new Map<string, Buffer>();
  if (!boundary) return parts;
  const sep = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = body.indexOf(sep);
  while (at >= 0) {
    const next = body.indexOf(sep, at + sep.length);
    if (next < 0) break;
    const part = body.subarray(at + sep.length + 2, next - 2);
    const headEnd = part.indexOf("\r\n\r\n");
    const name = /name="([^"]+)"/.exec(part.subarray(0, headEnd).toString())?.[1];
    if (name) parts.set(name, part.subarray(headEnd + 4));
    at = next;
  }
  return parts;
}

function chunk(id: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

async function chat(res: ServerResponse, request: Record<string, unknown>, scenario: string): Promise<void> {
  const messages = request.messages as { role: string }[];
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(chunk(id, { role: "assistant", content: "" }));
  if (scenario === "tool" && !messages.some((m) => m.role === "tool")) {
    res.write(chunk(id, { tool_calls: [{ index: 0, id: "call_echo_1", type: "function", function: { name: "echo", arguments: "" } }] }));
    for (const piece of ['{"text":', '"ping"}']) res.write(chunk(id, { tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    res.write(chunk(id, {}, "tool_calls"));
  } else {
    for (const word of ANSWER.split(/(?<= )/)) {
      res.write(chunk(id, { content: word }));
      await sleep(15);
    }
    res.write(chunk(id, {}, "stop"));
  }
  if ((request.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 0, model: "gpt-4o-mini", choices: [], usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } })}\n\n`);
  }
  res.end("data: [DONE]\n\n");
}

/** Speech for `text`: the greeting fixture for the greeting, else the share of the answer fixture the text is. */
async function speech(res: ServerResponse, text: string): Promise<void> {
  let pcm: Uint8Array;
  if (text.startsWith("Olá")) pcm = speechBytes("agent-greeting", 24000);
  else {
    const whole = speechBytes("agent-transfer", 24000);
    const from = Math.max(0, ANSWER.indexOf(text));
    const share = (n: number) => Math.floor((whole.byteLength * n) / ANSWER.length / 2) * 2;
    pcm = whole.subarray(share(from), share(from + text.length) || whole.byteLength);
  }
  res.writeHead(200, { "content-type": "audio/pcm", "transfer-encoding": "chunked" });
  for (let i = 0; i < pcm.byteLength; i += 4801) {
    res.write(pcm.subarray(i, i + 4801));
    await sleep(10);
  }
  res.end();
}

export async function openAiRestHttp(req: IncomingMessage, res: ServerResponse, body: Buffer, log: (key: string, entry: unknown) => void): Promise<boolean> {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (req.method !== "POST" || !["/v1/audio/transcriptions", "/v1/chat/completions", "/v1/audio/speech"].includes(path)) return false;
  const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
  const scenario = scenarioOf(key);
  if (!key || scenario === "unauthorized") {
    sendJson(res, 401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    return true;
  }
  if (path === "/v1/audio/transcriptions") {
    const parts = multipart(req, body);
    const file = parts.get("file");
    let seconds = 0;
    try {
      const wav = parseWav(new Uint8Array(file ?? []));
      seconds = wav.data.byteLength / 2 / wav.sampleRate;
    } catch {
      sendJson(res, 400, { error: { message: "Invalid file format.", type: "invalid_request_error", param: "file", code: null } });
      return true;
    }
    if (!parts.get("model")) {
      sendJson(res, 400, { error: { message: "you must provide a model parameter", type: "invalid_request_error", param: "model", code: null } });
      return true;
    }
    const n = turns.get(key) ?? 0;
    turns.set(key, n + 1);
    log(key, { path, model: parts.get("model")?.toString(), language: parts.get("language")?.toString(), seconds });
    sendJson(res, 200, { text: LINES[CALLER_LINES[n % CALLER_LINES.length] as Line], usage: { type: "duration", seconds: Math.ceil(seconds) } });
    return true;
  }
  const request = JSON.parse(body.toString()) as Record<string, unknown>;
  log(key, { path, ...request });
  if (path === "/v1/chat/completions") {
    if (scenario === "error") {
      sendJson(res, 500, { error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } });
      return true;
    }
    await chat(res, request, scenario);
    return true;
  }
  if (request.response_format !== "pcm") {
    sendJson(res, 400, { error: { message: "this stand-in speaks pcm only", type: "invalid_request_error", param: "response_format", code: null } });
    return true;
  }
  await speech(res, String(request.input));
  return true;
}
