import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiKey, createDb, createTenant } from "@turnq/db";
import { startSimulator } from "@turnq/llm-simulator";
import { logsBySession } from "../support/log-checks.ts";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { check, type StoredTurn, type Verdict } from "./checker.ts";
import { HANG_MS, startLoad } from "./load.ts";
import { startChaosPostgres } from "./postgres-control.ts";
import { startChaosRedis } from "./redis-control.ts";
import { makeSchedule, mulberry32, playSchedule, type ScheduleShape } from "./schedule.ts";

export interface ChaosOptions {
  seed: number;
  sessions: number;
  turnsPerSession: number;
  workers: number;
  llmLatencyMs: number;
  shape: ScheduleShape;
  /** After the last fault, how long every acknowledged turn gets to finish. */
  drainDeadlineMs: number;
  log(message: string): void;
}

/** The checker's figures, and the run's own. */
type CheckerFigures = Verdict["figures"];
export interface ChaosReport extends CheckerFigures {
  ok: boolean;
  seed: number;
  faults: Record<string, number>;
  /** Last fault over (last service or worker back) → the last acknowledged turn finished (0: none was left). */
  drainMs: number | null;
  answers: Record<string, number>;
  transportErrors: number;
  violationCount: number;
  violations: string[];
  /** How long the API took to answer the probes while Postgres was down (readiness, a write). */
  dbDownAnswerMs: number[];
  /** Wall time of the run's phases: start-up, faults (the load runs meanwhile), drain and check. */
  seconds: { setup: number; faults: number; drain: number; total: number };
}

/**
 * One chaos run against real processes: its own Postgres cluster and redis-server, the simulator,
 * the API and `workers` workers as child processes, the load, the seeded fault schedule, then the
 * drain and the checker. Everything it started is stopped and removed, whatever happens.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const schedule = makeSchedule(opts.seed, opts.shape);
  const random = mulberry32(opts.seed ^ 0x5eed);
  const dir = mkdtempSync(join(tmpdir(), "turnq-chaos-"));
  const cleanups: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const violations: string[] = [];
  const dbDownAnswerMs: number[] = [];
  try {
    const redis = await startChaosRedis(dir);
    cleanups.push(() => redis.stop());
    const pg = await startChaosPostgres();
    cleanups.push(() => pg.destroy());
    const sim = await startSimulator({ latencyMs: opts.llmLatencyMs, recordLimit: 10_000_000 });
    cleanups.push(() => sim.close());
    const common = { DATABASE_URL: pg.url, REDIS_URL: redis.url, TURNQ_PREFIX: "chaos", DB_POOL_MAX: "10", LOG_LEVEL: "warn" };
    const api = startProcess("api", "apps/api/src/main.ts", { ...common, PORT: "0", LOG_LEVEL: "info" });
    cleanups.push(() => api.stop("SIGKILL"));
    const listening = api.waitForLine(/turnq api listening/, 60_000);
    listening.catch(() => {}); // awaited below, after the workers; a failure must not go unhandled meanwhile

    const workers: AppProcess[] = [];
    const killed = new Set<AppProcess>();
    let started = 0;
    cleanups.push(() => Promise.all(workers.map((w) => w.stop("SIGKILL"))));
    const workerEnv = { ...common, LOG_LEVEL: process.env.CHAOS_WORKER_LOG_LEVEL ?? "info", LLM_BASE_URL: sim.url, WORKER_CONCURRENCY: "100", SHUTDOWN_GRACE_MS: "3000" };
    const startWorker = async () => {
      const w = startProcess(`worker-${++started}`, "apps/worker/src/main.ts", workerEnv);
      workers.push(w);
      // A worker killed while it starts (the schedule may pick it) did nothing wrong.
      await w.waitForLine(/turnq worker started/, 90_000).catch((err: Error) => {
        if (!killed.has(w)) throw err;
      });
    };
    await Promise.all(Array.from({ length: opts.workers }, startWorker));
    const baseUrl = (JSON.parse(await listening) as { url: string }).url;
    // During the run a worker that cannot start (say while Redis or Postgres is down) is a finding.
    const restartWorker = () => startWorker().catch((err: Error) => void violations.push(`a worker did not start: ${err.message.slice(0, 1500)}`));

    const probeDb = createDb(pg.url, { max: 2, applicationName: "turnq-chaos-checker" });
    cleanups.push(() => probeDb.close());
    const tenant = await createTenant(probeDb.db, { name: "chaos" });
    const { key: apiKey } = await createApiKey(probeDb.db, tenant.id);
    const load = startLoad({
      baseUrl,
      apiKey,
      sessions: opts.sessions,
      turnsPerSession: opts.turnsPerSession,
      meanPauseMs: opts.shape.durationMs / opts.turnsPerSession,
      tag: randomBytes(3).toString("hex"),
      random,
    });
    const startedAt = Date.now();
    opts.log(`load: ${opts.sessions} sessions × ${opts.turnsPerSession} turns; ${schedule.faults.length} faults over ${opts.shape.durationMs / 1000} s (seed ${opts.seed})`);
    const lastFaultEnd = await playSchedule(
      schedule,
      {
        async killWorker(pick) {
          if (workers.length === 0) return;
          const victim = workers[Math.floor(pick * workers.length)]!;
          opts.log(`kill -9 ${victim.name}`);
          workers.splice(workers.indexOf(victim), 1);
          killed.add(victim);
          await victim.stop("SIGKILL");
        },
        startWorker: restartWorker,
        redis,
        postgres: {
          async crash() {
            await pg.crash();
            violations.push(...(await probeWhileDbDown(baseUrl, apiKey, dbDownAnswerMs)));
          },
          start: () => pg.start(),
        },
        log: opts.log,
      },
      startedAt,
    );
    load.stop();
    opts.log(`faults over after ${Math.round((lastFaultEnd - startedAt) / 1000)} s; draining`);

    const drained = await drain(probeDb.sql, load, lastFaultEnd + opts.drainDeadlineMs);
    if (!drained) violations.push(`not drained within ${opts.drainDeadlineMs} ms of the last fault`);
    if (api.child.exitCode !== null || api.child.signalCode !== null) violations.push(`the API process died: ${api.output().slice(-2000)}`);

    const sessionIds = [...load.acked.keys()];
    const turns = await probeDb.sql<StoredTurn[]>`
      select id, session_id as "sessionId", position, status, attempts, crashes, error_code as "errorCode"
      from turns where session_id = any(${sessionIds})`;
    const logs = await logsBySession(probeDb);
    const verdict = check({ acked: load.acked, turns, logs, modelCalls: sim.requests });
    // Measured where it happened: when the last acknowledged turn was finished in Postgres.
    const ids = [...load.acked.values()].flat().map((t) => t.id);
    const [last] = await probeDb.sql<{ at: Date | null }[]>`select max(finished_at) as at from turns where id = any(${ids})`;
    const all = [...violations, ...load.stats.violations, ...verdict.violations];
    const faults: Record<string, number> = {};
    for (const f of schedule.faults) {
      const k = f.kind === "restart-redis" ? `restart-redis-${f.persistence}` : f.kind;
      faults[k] = (faults[k] ?? 0) + 1;
    }
    return {
      ok: all.length === 0,
      seed: opts.seed,
      faults,
      ...verdict.figures,
      drainMs: drained && last?.at ? Math.max(0, new Date(last.at).getTime() - lastFaultEnd) : null,
      answers: load.stats.answers,
      transportErrors: load.stats.transportErrors,
      violationCount: all.length,
      violations: all.slice(0, 20),
      dbDownAnswerMs,
      seconds: {
        setup: Math.round((startedAt - began) / 1000),
        faults: Math.round((lastFaultEnd - startedAt) / 1000),
        drain: Math.round((Date.now() - lastFaultEnd) / 1000),
        total: Math.round((Date.now() - began) / 1000),
      },
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => opts.log(`cleanup: ${err.message}`));
  }
}

/**
 * While Postgres is down the API must say so: readiness 503 naming postgres, and a request that
 * needs the database a 503 problem+json `database_unavailable` (not a 500, not a hang).
 */
async function probeWhileDbDown(baseUrl: string, apiKey: string, answerMs: number[]): Promise<string[]> {
  const problems: string[] = [];
  const ask = async (path: string, init: RequestInit = {}) => {
    const sent = Date.now();
    try {
      const res = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(HANG_MS) });
      return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json().catch(() => null)) as any };
    } catch (err) {
      return { status: 0, type: "", body: { error: (err as Error).message } };
    } finally {
      answerMs.push(Date.now() - sent);
    }
  };
  const ready = await ask("/readyz");
  if (ready.status !== 503 || ready.body?.code !== "not_ready" || !String(ready.body?.checks?.postgres ?? "").startsWith("error")) {
    problems.push(`/readyz while Postgres is down: ${ready.status} ${JSON.stringify(ready.body)}`);
  }
  const created = await ask("/v1/sessions", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` }, body: "{}" });
  if (created.status !== 503 || created.body?.code !== "database_unavailable" || !created.type.includes("application/problem+json")) {
    problems.push(`POST /v1/sessions while Postgres is down: ${created.status} ${created.type} ${JSON.stringify(created.body)}`);
  }
  return problems;
}

/** Waits until the clients are done and Postgres has every acknowledged turn finished; false at the deadline. */
async function drain(sql: ReturnType<typeof createDb>["sql"], load: ReturnType<typeof startLoad>, deadline: number): Promise<boolean> {
  let clientsDone = false;
  void load.done.then(() => (clientsDone = true));
  for (;;) {
    if (clientsDone) {
      const ids = [...load.acked.values()].flat().map((t) => t.id);
      const [row] = await sql<{ open: number }[]>`select count(*)::int as open from turns where id = any(${ids}) and status in ('queued', 'running')`.catch(
        () => [{ open: -1 }],
      );
      if (row!.open === 0) return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
