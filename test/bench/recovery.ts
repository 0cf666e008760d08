import { randomBytes } from "node:crypto";
import type { RecordedRequest } from "@turnq/llm-simulator";
import { drainJob } from "@turnq/queue";
import { Redis } from "ioredis";
import type { AppProcess } from "../support/processes.ts";
import { intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem, type BenchSystem } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { percentile, round1 } from "./stats.ts";
import { atMost, targetsMet, type Goal } from "./targets.ts";

export interface RecoveryResult {
  clients: number;
  llmMs: number;
  kills: number;
  /** Sessions whose LLM call the kill cut off, over all kills: the ones measured. */
  sessionsCut: number;
  /** Kill → that session's next LLM request (its turn running again on the other worker). */
  resumeMs: { p50: number; p99: Goal; max: number };
  perKill: { cut: number; resumed: number; maxMs: number }[];
  /** Sessions cut off by a kill that had not resumed within the part's deadline. */
  notResumed: number;
  targetsMet: string;
}

/** Between a replacement's start and the next kill. */
const SPREAD_MS = 5_000;
/** How long a kill's sessions get to resume before they count as not resumed (and the next kill). */
const RESUME_DEADLINE_MS = 60_000;

/**
 * Recovery after a worker dies (issue #9): 2 workers, closed-loop sessions whose LLM call takes
 * `BENCH_RECOVERY_LLM_MS`, and a worker SIGKILLed while it has calls in flight, `BENCH_RECOVERY_KILLS`
 * times (a fresh worker replaces the victim before the next kill). The sessions measured are those
 * whose LLM request the kill cut off (the simulator sees the socket close); each one's figure is the
 * time from the kill to its session's next LLM request, which is the turn running again elsewhere.
 * The victim is the worker holding the most sessions at that moment.
 */
export async function runRecoveryBench(): Promise<PartOutcome<RecoveryResult>> {
  const clients = intEnv("BENCH_RECOVERY_CLIENTS", 100);
  const llmMs = intEnv("BENCH_RECOVERY_LLM_MS", 1_000);
  const kills = intEnv("BENCH_RECOVERY_KILLS", 3);
  log(`recovery: starting system (2 workers, ${clients} sessions, LLM ${llmMs} ms, ${kills} kills)`);
  const sys = await startBenchSystem({ llmLatencyMs: llmMs, workers: 2, concurrency: clients, sim: { recordLimit: 10_000_000 } });
  const tag = randomBytes(3).toString("hex");
  const failures: string[] = [];
  const perKill: RecoveryResult["perKill"] = [];
  const resumed: number[] = [];
  let notResumed = 0;
  try {
    let stopped = false;
    const loop = runClosedLoop({ baseUrl: sys.api.url, clients, tag, onStart: () => Number.POSITIVE_INFINITY, shouldStop: () => stopped });
    for (let k = 0; k < kills; k++) {
      const r = await killOne(sys, clients, k);
      perKill.push({ cut: r.cut, resumed: r.resumeMs.length, maxMs: round1(Math.max(0, ...r.resumeMs)) });
      resumed.push(...r.resumeMs);
      notResumed += r.cut - r.resumeMs.length;
      log(`recovery: kill ${k + 1}: ${r.cut} sessions cut off, resumed after max ${perKill.at(-1)!.maxMs} ms`);
    }
    stopped = true;
    const done = await loop;
    const bad = done.samples.filter((s) => s.status !== "completed");
    failures.push(...done.errors.slice(0, 5), ...bad.slice(0, 5).map((s) => `turn ${s.turnId} ended ${s.status}`));
    if (resumed.length === 0) failures.push("no session was cut off by a kill: nothing measured");
    if (notResumed > 0) failures.push(`${notResumed} sessions cut off by a kill did not resume within ${RESUME_DEADLINE_MS} ms`);
  } finally {
    await sys.stop();
  }
  const result = {
    clients,
    llmMs,
    kills,
    sessionsCut: resumed.length + notResumed,
    resumeMs: { p50: round1(percentile(resumed, 50)), p99: atMost(round1(percentile(resumed, 99)), 5_000), max: round1(Math.max(0, ...resumed)) },
    perKill,
    notResumed,
  };
  return { result: { ...result, targetsMet: targetsMet(result) }, failures };
}

/** Waits for a loaded moment, kills one worker, measures its sessions' resumption, replaces it. */
async function killOne(sys: BenchSystem, clients: number, k: number): Promise<{ cut: number; resumeMs: number[] }> {
  // A replacement gets sessions as their drain jobs end and start again: give the load time to spread.
  if (k > 0) await new Promise((r) => setTimeout(r, SPREAD_MS));
  await waitFor(() => sys.sim.inFlight() >= clients * 0.8, 60_000, "LLM calls in flight before the kill");
  const victim = await busiestWorker(sys);
  const killedAt = Date.now();
  await victim.stop("SIGKILL");
  sys.workers.splice(sys.workers.indexOf(victim), 1); // the system's stop must not wait for it
  // The victim's calls are the ones whose socket closed at the kill (the survivor's run on).
  await waitFor(() => sys.sim.requests.some((r) => r.startedAt < killedAt && r.aborted), 10_000, "the simulator to see the victim's calls end");
  const cut = new Set(sys.sim.requests.filter((r) => r.startedAt < killedAt && r.aborted && (r.endedAt ?? 0) >= killedAt).map(clientOf));
  const replacement = sys.startWorker(`worker-r${k + 1}`);
  const next = () => {
    const firstAfter = new Map<string, number>();
    for (const r of sys.sim.requests) {
      const c = clientOf(r);
      if (r.startedAt > killedAt && cut.has(c) && !firstAfter.has(c)) firstAfter.set(c, r.startedAt - killedAt);
    }
    return firstAfter;
  };
  await waitFor(() => next().size >= cut.size, RESUME_DEADLINE_MS, "the victim's sessions to resume").catch(() => {});
  await replacement;
  return { cut: cut.size, resumeMs: [...next().values()] };
}

/**
 * The worker holding the most drain jobs (BullMQ's own keys: each active job's lock holds its
 * worker's id, which the worker prints when it starts): BullMQ does not spread sessions evenly, and
 * the victim should have sessions to lose.
 */
async function busiestWorker(sys: BenchSystem): Promise<AppProcess> {
  const redis = new Redis(sys.redisUrl);
  try {
    const base = `${sys.prefix}:${drainJob.queueName}`;
    const active = await redis.lrange(`${base}:active`, 0, -1);
    const tokens = active.length > 0 ? await redis.mget(active.map((id) => `${base}:${id}:lock`)) : [];
    const held = new Map<string, number>();
    for (const token of tokens) {
      const owner = token?.replace(/:\d+$/, "");
      if (owner) held.set(owner, (held.get(owner) ?? 0) + 1);
    }
    const count = (w: AppProcess) => held.get(/"workerId":"([^"]+)"/.exec(w.output())?.[1] ?? "") ?? 0;
    return sys.workers.reduce((best, w) => (count(w) > count(best) ? w : best));
  } finally {
    redis.disconnect();
  }
}

/** The closed loop's inputs name their client: "bench <tag> client <c> turn <n>". */
function clientOf(r: RecordedRequest): string {
  const last = r.messages.at(-1) as { content?: unknown } | undefined;
  return /client (\d+) /.exec(String(last?.content ?? ""))?.[1] ?? "?";
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`recovery: gave up waiting for ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
