import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { log } from "./bench-env.ts";
import { startReferenceSystem } from "./reference-system.ts";
import { round1 } from "./stats.ts";

export interface ReferenceSlotsRun {
  concurrency: number;
  clients: number;
  turnsPerSec: number;
  /** Mean LLM calls in flight ÷ slots, sampled every 100 ms while jobs waited: `slots`' busyShare. */
  busyShare: number;
  /** Jobs that did not complete in time or failed (a yardstick that loses jobs measures nothing). */
  failedJobs: number;
}

/**
 * The yardstick at `slots`' wide shape: the plain BullMQ job per turn of `reference`, with as many
 * slots and clients as turnq gets and the same LLM latency, sampled the same way. Beside turnq's
 * busy share it says what this machine allows: at 2,000 slots and a 2 s LLM the ceiling is 1,000
 * turns/s, more than the machine's CPU may run even without HTTP, ordering or durability.
 */
export async function referenceSlotsRun(cfg: {
  llmLatencyMs: number;
  concurrency: number;
  clients: number;
  warmupSeconds: number;
  measureSeconds: number;
}): Promise<ReferenceSlotsRun> {
  const name = `reference slots ${cfg.concurrency}`;
  log(`${name}: starting the plain BullMQ worker × concurrency ${cfg.concurrency}, LLM ${cfg.llmLatencyMs} ms, ${cfg.clients} clients`);
  const sys = await startReferenceSystem({ llmLatencyMs: cfg.llmLatencyMs, concurrency: cfg.concurrency });
  try {
    const sessions = await sys.createSessions(cfg.clients, "slots");
    const start = performance.now();
    const from = start + cfg.warmupSeconds * 1000;
    const to = from + cfg.measureSeconds * 1000;
    let open = 0;
    let done = 0;
    let failed = 0;
    const busy: number[] = [];
    const sampler = setInterval(() => {
      const now = performance.now();
      if (now < from || now > to) return;
      const inFlight = sys.sim.inFlight();
      if (open > inFlight) busy.push(inFlight);
    }, 100);
    await Promise.all(
      sessions.map(async (sessionId, c) => {
        await sleep(Math.floor((c * cfg.llmLatencyMs) / cfg.clients));
        for (let n = 0; performance.now() < to; n++) {
          open++;
          try {
            await sys.runJob(`slots-${c}-${n}`, sessionId, `reference slots client ${c} turn ${n}`);
            const at = performance.now();
            if (at >= from && at <= to) done++;
          } catch {
            failed++;
            await sleep(100);
          } finally {
            open--;
          }
        }
      }),
    );
    clearInterval(sampler);
    const mean = busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : 0;
    const run = {
      concurrency: cfg.concurrency,
      clients: cfg.clients,
      turnsPerSec: round1(done / cfg.measureSeconds),
      busyShare: Math.round((mean / cfg.concurrency) * 1000) / 1000,
      failedJobs: failed,
    };
    log(`${name}: ${run.turnsPerSec} jobs/s, busy share ${run.busyShare}, ${failed} failed`);
    return run;
  } finally {
    await sys.stop();
    log(`${name}: system stopped`);
  }
}
