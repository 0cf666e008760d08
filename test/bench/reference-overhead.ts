import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { log } from "./bench-env.ts";
import { LlmTimes } from "./llm-times.ts";
import { retryWhenPostgresFull } from "./pg-retry.ts";
import { runReferenceLoop } from "./reference-loop.ts";
import { startReferenceSystem } from "./reference-system.ts";
import { summary } from "./stats.ts";

export interface ReferenceOverhead {
  clients: number;
  turns: number;
  /** End-to-end minus the simulator's time for the job's LLM call, as overhead.ts measures turnq. */
  overheadMs: { p50: number; p99: number };
}

/**
 * The plain BullMQ job per turn (reference-worker.ts) in `overhead`'s shape: `clients` clients in a
 * closed loop at `llmLatencyMs`, each job's overhead taken exactly as turnq's is (scenario.ts). It
 * prints beside turnq's overhead what this machine charges a job that does the same Postgres and
 * LLM work with no HTTP, ordering, durable 202 or tracing: with one client, mostly the cost of
 * waking idle processes, which an absolute target in ms cannot see.
 */
export async function measureReferenceOverhead(cfg: {
  llmLatencyMs: number;
  clients: number;
  concurrency: number;
  warmupSeconds: number;
  measureSeconds: number;
  sessionTurns: number;
}): Promise<{ result: ReferenceOverhead; failures: string[] }> {
  const name = `reference overhead ${cfg.clients} client${cfg.clients === 1 ? "" : "s"}`;
  const ref = await startReferenceSystem({ llmLatencyMs: cfg.llmLatencyMs, concurrency: cfg.concurrency });
  try {
    const tag = randomBytes(3).toString("hex");
    const llm = new LlmTimes(ref.sim);
    llm.start();
    const sessions = await retryWhenPostgresFull(`${name}: sessions`, () => ref.createSessions(cfg.clients, tag));
    const from = performance.now() + cfg.warmupSeconds * 1000;
    const to = from + cfg.measureSeconds * 1000;
    log(`${name}: running; warm-up ${cfg.warmupSeconds} s, measuring ${cfg.measureSeconds} s`);
    const { samples, errors } = await runReferenceLoop(ref, { sessions, sessionTurns: cfg.sessionTurns, until: to, tag });
    llm.stop();
    const overhead: number[] = [];
    for (const s of samples) {
      if (s.doneAt < from || s.doneAt > to) continue;
      const call = llm.byInput.get(s.input);
      if (call) overhead.push(s.doneAt - s.sentAt - (call.endedAt - call.startedAt));
    }
    const failures = errors.length ? [`${name}: ${errors.length} jobs failed: ${errors.slice(0, 3).join("; ")}`] : [];
    if (overhead.length === 0) failures.push(`${name}: no job with an LLM record completed in the measure window`);
    log(`${name}: ${samples.length} jobs in all, ${overhead.length} measured; ${errors.length} failed`);
    return { result: { clients: cfg.clients, turns: overhead.length, overheadMs: summary(overhead) }, failures };
  } finally {
    await ref.stop();
  }
}
