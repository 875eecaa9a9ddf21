/**
 * The relay as a process (`node --import tsx relay/main.ts`), as operators
 * and the end-to-end tests run it: ports from the log lines, SIGTERM, exit
 * codes.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { CloudStub, TEST_TOKEN } from "./testing/cloud-stub.js";
import { waitFor } from "./testing/wait.js";

type Child = ChildProcessByStdio<null, Readable, Readable>;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function run(env: Record<string, string>): { child: Child; lines: Record<string, unknown>[]; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", "relay/main.ts"], {
    cwd: new URL("..", import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanup.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const lines: Record<string, unknown>[] = [];
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const parts = out.split("\n");
    out = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => err, exit };
}

describe("relay/main.ts", () => {
  it("logs the bound ports and link up, serves calls, and stops gracefully on SIGTERM", async () => {
    const stub = await CloudStub.start();
    cleanup.push(() => stub.close());
    const { child, lines, exit } = run({ CLOUD_URL: stub.baseUrl, RELAY_TOKEN: TEST_TOKEN, AUDIO_WS_PORT: "0", HEALTH_PORT: "0", OUTBOUND_ESL_PORT: "0" });
    const line = (msg: string) => lines.find((l) => l.msg === msg);
    await waitFor(() => line("link up") !== undefined, { timeoutMs: 15_000, what: "the link up line" });
    const audio = line("audio stream server listening");
    const health = line("health server listening");
    expect(audio).toMatchObject({ level: "info", host: "127.0.0.1", port: expect.any(Number) });
    expect(health).toMatchObject({ level: "info", host: "127.0.0.1", port: expect.any(Number) });
    expect(line("link up")).toMatchObject({ relayId: "relay-test" });

    const res = await fetch(`http://127.0.0.1:${String(health?.port)}/health`);
    expect(await res.json()).toMatchObject({ status: "ok", link: { state: "up" } });

    const module = new WebSocket(`ws://127.0.0.1:${String(audio?.port)}/stream/6f1c2b9e-1d2a-4c3b-9e8f-0123456789ab/c0ffee00-0000-4000-8000-000000000001/%2B5511`);
    const moduleClosed = new Promise<number>((resolve) => module.once("close", (code) => resolve(code)));
    await new Promise((resolve) => module.once("open", resolve));
    module.send(Buffer.alloc(640));
    const conn = await stub.connection(0);
    await waitFor(() => conn.frames().length === 1);

    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(await moduleClosed).toBe(1001);
    expect(conn.controls("call.end")).toEqual([{ type: "call.end", callId: "c0ffee00-0000-4000-8000-000000000001", reason: "relay-shutdown" }]);
    expect((await conn.closed()).code).toBe(1001);
    expect(JSON.stringify(lines)).not.toContain(TEST_TOKEN);
  }, 30_000);

  it("exits 78 naming every bad variable, without echoing the token", async () => {
    const token = "tiny-secret";
    const { exit, stderr } = run({ CLOUD_URL: "gopher://x", RELAY_TOKEN: token, HEALTH_PORT: "-1" });
    expect(await exit).toBe(78);
    expect(stderr()).toContain("CLOUD_URL: expected a ws, wss, http or https URL");
    expect(stderr()).toContain("RELAY_TOKEN: expected at least 32 characters");
    expect(stderr()).toContain('HEALTH_PORT: expected an integer from 0 to 65535, got "-1"');
    expect(stderr()).not.toContain(token);
  }, 30_000);
});
