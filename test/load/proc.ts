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

/** Every workerd process wrangler runs for this process (the user worker and its dev proxy). */
export function workerdPids(): number[] {
  // wrangler runs workerd from @cloudflare/workerd-linux-64 (bin/workerd serve ...).
  return descendants(process.pid, /bin\/workerd\b.*\bserve\b/);
}

/**
 * CPU and memory of the workerd that runs our Worker. unstable_startWorker
 * runs two (the user worker and a dev proxy in front of it), and may replace
 * the user worker's process after a reload: over a window, the one that used
 * the most CPU is the user worker, and a process gone meanwhile is reported.
 */
export class WorkerdMeter {
  private start = new Map<number, number>();
  private t0 = 0;
  constructor() {
    this.reset();
  }
  reset(): void {
    this.start = new Map(workerdPids().flatMap((pid) => (alive(pid) ? [[pid, cpuSeconds(pid)] as [number, number]] : [])));
    this.t0 = performance.now();
  }
  /** The busiest workerd's CPU (fraction of a core) and RSS since reset; `replaced` when one exited meanwhile. */
  read(): { pid: number | undefined; cores: number; rssBytes: number; wallSeconds: number; replaced: boolean } {
    const wall = (performance.now() - this.t0) / 1000;
    let best: { pid: number; cpu: number } | undefined;
    let replaced = false;
    for (const [pid, cpu0] of this.start) {
      if (!alive(pid)) {
        replaced = true;
        continue;
      }
      const cpu = cpuSeconds(pid) - cpu0;
      if (!best || cpu > best.cpu) best = { pid, cpu };
    }
    return { pid: best?.pid, cores: best && wall > 0 ? best.cpu / wall : NaN, rssBytes: best ? rssBytes(best.pid) : NaN, wallSeconds: wall, replaced };
  }
}

function alive(pid: number): boolean {
  try {
    cpuSeconds(pid);
    return true;
  } catch {
    return false;
  }
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
