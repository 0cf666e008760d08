import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type postgres from "postgres";

/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux almost everywhere). */
const ticksPerSec = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, all threads: JIT, GC and libuv's pool included) a process has used so
 * far, in ms, from /proc/<pid>/stat. Resolution is one tick (10 ms), so compare it over seconds.
 * Undefined once the process is gone.
 */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSec;
  } catch {
    return undefined;
  }
}

/**
 * How often a process crossed into the kernel for I/O and slept: read and write system calls
 * (/proc/<pid>/io syscr, syscw: every socket read and write counts, whatever its size) and voluntary
 * context switches (/proc/<pid>/status: each time it blocked and had to be woken, e.g. waiting for
 * a reply). On a virtual machine each wake-up of another process costs far more than the bytes it
 * carries, so these count round trips the way the CPU pays for them. Undefined once the process is gone.
 */
export interface ProcEvents {
  reads: number;
  writes: number;
  wakeups: number;
}

export function readProcEvents(pid: number): ProcEvents | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? Number.NaN);
    return { reads: field(io, "syscr"), writes: field(io, "syscw"), wakeups: field(status, "voluntary_ctxt_switches") };
  } catch {
    return undefined;
  }
}

/**
 * The whole machine's CPU time so far, all cores, in ticks (/proc/stat's first line): `steal` is the
 * time the hypervisor ran someone else while this machine had work. On a shared host it comes and
 * goes, and every process's figures move with it: a run's steal says how far to trust its ratios.
 */
export interface MachineTimes {
  total: number;
  steal: number;
}

export function readMachineTimes(): MachineTimes | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return undefined;
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7]! };
  } catch {
    return undefined;
  }
}

/** Steal over a window (cpuWindow's result), as a percentage of all CPU time in it (one decimal), or null. */
export function stealPercent(window: { start: CpuSnapshot; end: CpuSnapshot } | undefined): number | null {
  const a = window?.start.machine;
  const b = window?.end.machine;
  if (!a || !b || b.total <= a.total) return null;
  return Math.round((1000 * (b.steal - a.steal)) / (b.total - a.total)) / 10;
}

export interface CpuSnapshot {
  /** performance.now() when it was read. */
  at: number;
  /** CPU ms per pid, in the order given. */
  cpuMs: number[];
  /** System calls and wake-ups per pid, in the order given. */
  events: (ProcEvents | undefined)[];
  /** The machine's CPU times at the same moment. */
  machine: MachineTimes | undefined;
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  return {
    at: performance.now(),
    cpuMs: pids.map((p) => readCpuMs(p) ?? Number.NaN),
    events: pids.map(readProcEvents),
    machine: readMachineTimes(),
  };
}

/** Totals over a window ÷ turns, to one decimal. */
export function perTurnEvents(e: ProcEvents, turns: number): ProcEvents {
  const per = (x: number) => Math.round((x / turns) * 10) / 10;
  return { reads: per(e.reads), writes: per(e.writes), wakeups: per(e.wakeups) };
}

/** Read and write system calls and wake-ups of the i-th pid between two snapshots, per turn (one decimal). */
export function eventsPerTurn(start: CpuSnapshot, end: CpuSnapshot, i: number, turns: number): ProcEvents | null {
  const a = start.events[i];
  const b = end.events[i];
  if (!a || !b || turns <= 0) return null;
  return perTurnEvents({ reads: b.reads - a.reads, writes: b.writes - a.writes, wakeups: b.wakeups - a.wakeups }, turns);
}

/**
 * Reads the pids' CPU time when the measure window opens and when it closes (timers, so both
 * readings are taken while the load is running). `result()` hands both back once the window closed;
 * a load that ends the moment the window does (one client: its last turn completes a few ms after)
 * may ask before the closing timer ran, and then gets a closing reading taken right then.
 */
export function cpuWindow(pids: number[], fromMs: number, toMs: number) {
  let start: CpuSnapshot | undefined;
  let end: CpuSnapshot | undefined;
  const now = performance.now();
  const t1 = setTimeout(() => (start = cpuSnapshot(pids)), Math.max(0, fromMs - now));
  const t2 = setTimeout(() => (end = cpuSnapshot(pids)), Math.max(0, toMs - now));
  return {
    result(): { start: CpuSnapshot; end: CpuSnapshot } | undefined {
      clearTimeout(t1);
      clearTimeout(t2);
      if (start && !end && performance.now() >= toMs) end = cpuSnapshot(pids);
      return start && end ? { start, end } : undefined;
    },
  };
}

/**
 * CPU time of the Postgres backends serving one database (the system under test's pools) over the
 * window: their pids are read from pg_stat_activity when the window opens, their /proc CPU time
 * then and when it closes. Backends opened during the window are missed, so it is a lower bound;
 * the WAL writer and other shared Postgres processes are not included.
 */
export function postgresCpuWindow(sql: postgres.Sql, fromMs: number, toMs: number) {
  let pids: number[] = [];
  let start: CpuSnapshot | undefined;
  let end: CpuSnapshot | undefined;
  const now = performance.now();
  const t1 = setTimeout(() => {
    sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.then(
      (rows) => {
        pids = rows.map((r) => r.pid);
        start = cpuSnapshot(pids);
      },
      () => {},
    );
  }, Math.max(0, fromMs - now));
  const t2 = setTimeout(() => (end = start && cpuSnapshot(pids)), Math.max(0, toMs - now));
  return {
    /** Total CPU ms and system calls / wake-ups of those backends over the window, or undefined if it could not be read. */
    result(): { cpuMs: number; events: ProcEvents; backends: number } | undefined {
      clearTimeout(t1);
      clearTimeout(t2);
      if (start && !end && performance.now() >= toMs) end = cpuSnapshot(pids); // as in cpuWindow
      if (!start || !end) return undefined;
      let cpuMs = 0;
      const events: ProcEvents = { reads: 0, writes: 0, wakeups: 0 };
      start.cpuMs.forEach((v, i) => {
        const d = end!.cpuMs[i]! - v;
        if (Number.isFinite(d)) cpuMs += d;
        const a = start!.events[i];
        const b = end!.events[i];
        if (a && b) for (const k of ["reads", "writes", "wakeups"] as const) events[k] += b[k] - a[k];
      });
      return { cpuMs, events, backends: pids.length };
    },
  };
}
