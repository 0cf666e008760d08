import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { createSession, submitTurn, transportRetryCount, waitTerminal, type TurnView } from "./api-client.ts";
import { burstSettings, hotLoopSettings, intEnv, log, type BenchContext, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { runClosedLoop, type TurnSample } from "./closed-loop.ts";
import { LlmTimes } from "./llm-times.ts";
import { databaseViolations, observedViolations, runFailures } from "./order-check.ts";
import { retryWhenPostgresFull } from "./pg-retry.ts";
import { cpuSnapshot } from "./proc-cpu.ts";
import { round1 } from "./stats.ts";
import { atLeast, exactly, ratio, targetsMet, type Goal } from "./targets.ts";

export interface BurstResult {
  sessions: number;
  turnsPerSession: number;
  turns: number;
  /** First POST → last 202: how long submitting took (the sessions submit in parallel). */
  submitSeconds: number;
  /** First POST → last turn terminal. */
  seconds: number;
  turnsPerSec: number;
  referenceTurnsPerSec: number | null;
  vsReference: Goal;
  /** CPU time of each process from first POST to last completion / turns. */
  cpuMsPerTurn: { api: number; worker: number };
  orderViolations: Goal;
  targetsMet: string;
}

/**
 * A burst on turnq (1 API + 1 worker, as `hotpath`, LLM 0 ms): after a short closed-loop warm-up
 * (JIT, pools; the reference's burst also runs on a warm worker), 50 sessions each POST 20 turns
 * one after another, waiting only for each 202, sessions in parallel; then every turn is
 * long-polled in position order until terminal. Turns/s from the first POST to the last
 * completion, against the reference's burst of the same shape, and the order check (each session's
 * 20 turns are queued at once, so this is where ordering is tested hardest).
 */
export async function runBurstBench(ctx: BenchContext): Promise<PartOutcome<BurstResult>> {
  const { concurrency } = hotLoopSettings();
  const shape = burstSettings();
  const warmupSeconds = intEnv("BENCH_BURST_WARMUP_SECONDS", 3, 0);
  log(`burst: starting 1 API + 1 worker × concurrency ${concurrency}; ${shape.sessions} sessions × ${shape.turnsPerSession} turns`);
  const sys = await startBenchSystem({ llmLatencyMs: 0, workers: 1, concurrency, childApi: { env: {} } });
  const pool = new Pool(sys.api.url, { connections: shape.sessions + 8, pipelining: 1 });
  try {
    const pids = [sys.apiProcess!.child.pid!, sys.workers[0]!.child.pid!];
    const tag = randomBytes(3).toString("hex");
    const llm = new LlmTimes(sys.sim);
    llm.start();
    const warm = warmupSeconds > 0
      ? await runClosedLoop({ baseUrl: sys.api.url, clients: shape.sessions, tag: `${tag}w`, onStart: (now) => now + warmupSeconds * 1000 })
      : { samples: [], errors: [] };

    const sessions = await Promise.all(Array.from({ length: shape.sessions }, () => createSession(pool)));
    const samples: TurnSample[] = [];
    const errors: string[] = [...warm.errors];
    let lastAccepted = 0;
    const cpuStart = cpuSnapshot(pids);
    const first = cpuStart.at;
    await Promise.all(
      sessions.map(async (sessionId, c) => {
        const queued: { turn: TurnView; input: string; sentAt: number }[] = [];
        try {
          for (let n = 0; n < shape.turnsPerSession; n++) {
            const input = `bench burst ${tag} session ${c} turn ${n}`;
            const sentAt = performance.now();
            queued.push({ turn: await submitTurn(pool, sessionId, input, `burst-${tag}-${c}-${n}`), input, sentAt });
          }
          lastAccepted = Math.max(lastAccepted, performance.now());
          for (const q of queued) {
            const t = await waitTerminal(pool, q.turn);
            const doneAt = performance.now();
            samples.push({ sessionId, turnId: t.id, input: q.input, position: t.position, status: t.status, output: t.output, sentAt: q.sentAt, doneAt });
          }
        } catch (err) {
          errors.push((err as Error).message);
        }
      }),
    );
    const cpuEnd = cpuSnapshot(pids);
    llm.stop();
    const last = Math.max(first, ...samples.map((s) => s.doneAt));
    const seconds = (last - first) / 1000;
    const turns = samples.length;
    const turnsPerSec = round1(turns / seconds);
    const perTurn = (i: number) => Math.round(((cpuEnd.cpuMs[i]! - cpuStart.cpuMs[i]!) / turns) * 100) / 100;

    const violations = {
      ...(await retryWhenPostgresFull("burst: order check", () => databaseViolations(sys.db.sql))),
      ...observedViolations([...warm.samples, ...samples], llm),
    };
    const orderViolations = Object.values(violations).reduce((a, b) => a + b, 0);
    const failures = runFailures(errors, [...warm.samples, ...samples], violations);
    log(
      `burst: ${warm.samples.length} warm-up turns, then ${turns} burst turns in ${seconds.toFixed(2)} s; ` +
        `${transportRetryCount()} requests sent again after a broken connection; violations ${JSON.stringify(violations)}`,
    );
    const result: Omit<BurstResult, "targetsMet"> = {
      sessions: shape.sessions,
      turnsPerSession: shape.turnsPerSession,
      turns,
      submitSeconds: Math.round((lastAccepted - first) / 10) / 100,
      seconds: Math.round(seconds * 100) / 100,
      turnsPerSec,
      referenceTurnsPerSec: ctx.reference?.burstTurnsPerSec ?? null,
      vsReference: atLeast(ratio(turnsPerSec, ctx.reference?.burstTurnsPerSec), 0.7),
      cpuMsPerTurn: { api: perTurn(0), worker: perTurn(1) },
      orderViolations: exactly(orderViolations, 0),
    };
    return { result: { ...result, targetsMet: targetsMet(result) }, failures };
  } finally {
    await pool.close();
    await sys.stop();
    log("burst: system stopped");
  }
}
