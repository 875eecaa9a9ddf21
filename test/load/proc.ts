/**
 * What a process costs, read from Linux's /proc: CPU time (utime + stime of
 * every thread, in clock ticks) and resident memory. Used on the relay
 * process and on workerd, which wrangler starts as a child of the Node
 * process that calls unstable_startWorker.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds used so far by `pid` (user + system, all threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size of `pid`, bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Descendants of `root` whose command line matches `pattern`. */
export function descendants(root: number, pattern: RegExp): number[] {
  const pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  const isUnder = (pid: number): boolean => {
    for (let p = parentOf(pid), hops = 0; p !== undefined && p > 1 && hops < 10; p = parentOf(p), hops++) if (p === root) return true;
    return false;
  };
  return pids.filter((pid) => isUnder(pid) && pattern.test(commandOf(pid)));
}

/** The workerd process serving this Node process's unstable_startWorker (the busiest, if several). */
export function workerdPid(): number | undefined {
  // wrangler runs workerd from @cloudflare/workerd-linux-64 (bin/workerd serve ...).
  const alive = descendants(process.pid, /bin\/workerd\b.*\bserve\b/).flatMap((pid) => {
    try {
      return [{ pid, cpu: cpuSeconds(pid) }];
    } catch {
      return [];
    }
  });
  return alive.sort((a, b) => b.cpu - a.cpu)[0]?.pid;
}

/** Idle CPU of workerd over `ms`, finding its process again if it was replaced meanwhile. */
export async function workerdIdle(ms: number): Promise<{ pid: number; cores: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const pid = workerdPid();
    if (pid === undefined) break;
    try {
      const meter = new ProcessMeter(pid);
      await new Promise((r) => setTimeout(r, ms));
      return { pid, cores: meter.read().cores };
    } catch {
      // The process went away (wrangler restarted workerd): look again.
    }
  }
  throw new Error("workerd process not found among this process's descendants");
}

/** CPU and memory of one process over an interval. */
export class ProcessMeter {
  private cpu0 = 0;
  private t0 = 0;
  constructor(readonly pid: number) {
    this.reset();
  }
  reset(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.t0 = performance.now();
  }
  /** CPU used since reset, as a fraction of one core, and the wall time. */
  read(): { cpuSeconds: number; wallSeconds: number; cores: number; rssBytes: number } {
    const cpu = cpuSeconds(this.pid) - this.cpu0;
    const wall = (performance.now() - this.t0) / 1000;
    return { cpuSeconds: cpu, wallSeconds: wall, cores: wall > 0 ? cpu / wall : 0, rssBytes: rssBytes(this.pid) };
  }
}

/** The 1-minute load average and the core count, for the report. */
export function machineLoad(): { load1: number; load5: number; cores: number } {
  const [load1 = NaN, load5 = NaN] = readFileSync("/proc/loadavg", "utf8").split(" ").map(Number);
  const cores = readFileSync("/proc/cpuinfo", "utf8").split("\n").filter((l) => l.startsWith("processor")).length;
  return { load1, load5, cores };
}

/** Pins every thread of `pid` to `cpu` with taskset; false when taskset is missing or refused. */
export function pinToCore(pid: number, cpu: number): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
