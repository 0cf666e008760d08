import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { burstSettings, hotLoopSettings, log, machineCpuMsPerTurn, type PartOutcome, type ReferenceFigures } from "./bench-env.ts";
import { cpuWindow, eventsPerTurn, perTurnEvents, postgresCpuWindow, stealPercent, type ProcEvents } from "./proc-cpu.ts";
import { retryWhenPostgresFull } from "./pg-retry.ts";
import { commandsPerTurnText, perTurnOf, redisWindow } from "./redis-window.ts";
import { runReferenceLoop } from "./reference-loop.ts";
import { startReferenceSystem, type ReferenceSystem } from "./reference-system.ts";
import { startOwnRedis } from "../support/redis-server.ts";
import { readRssMiB, sampleRss, type RssSampler } from "./rss.ts";
import { round1, summary } from "./stats.ts";

export interface ReferenceResult {
  clients: number;
  /** Jobs a client sends for one session before it moves to a new one, as in hotpath; null: one session throughout. */
  turnsPerSession: number | null;
  /** Sessions the clients used in all. */
  sessions: number;
  workerConcurrency: number;
  llmLatencyMs: number;
  /** How a client learns that its job is done. */
  notify: string;
  turns: number;
  turnsPerSec: number;
  e2eMs: { p50: number; p99: number };
  /** The worker process's CPU time (user + system) over the window / jobs completed in it. */
  workerCpuMsPerTurn: number;
  /** The same for the bench's own process: load generator (queue client) and LLM simulator. */
  benchProcessCpuMsPerTurn: number;
  /** The same for the Postgres backends serving this run's database (a lower bound: see proc-cpu.ts). */
  postgresCpuMsPerTurn: number | null;
  /** Commands (inside scripts included) and CPU ms of the part's own redis-server per turn. */
  redisPerTurn: { commands: number; cpuMs: number } | null;
  /** The sum of the four above (bench-env.ts). */
  machineCpuMsPerTurn: number | null;
  /** System calls and wake-ups per job of the worker, the bench process and the Postgres backends (hotpath.ts). */
  eventsPerTurn: { worker: ProcEvents | null; bench: ProcEvents | null; postgres: ProcEvents | null };
  /** The machine's CPU time the hypervisor gave to others over the window, % (proc-cpu.ts). */
  stealPct: number | null;
  workerRssMiB: { final: number; max: number };
  /** Null in a closed loop run again only to pair with a turnq run (hotpath's pairs). */
  burst: BurstFigures | null;
}

export interface BurstFigures {
  sessions: number;
  turnsPerSession: number;
  turns: number;
  /** First submit → last completion. */
  seconds: number;
  turnsPerSec: number;
}

/**
 * The yardstick of issue #8: a plain BullMQ job per turn (reference-worker.ts: last 40 messages
 * from Postgres, LLM call, two messages appended in one transaction) on this machine, in this run.
 * 1. Closed loop: 200 clients, each with its own session and one job outstanding (queue.add, then
 *    QueueEvents `completed`), the same windows as the other loops; turns/s, e2e, worker CPU per
 *    turn from /proc and its RSS. 2. Burst: 50 sessions × 20 jobs added back to back (each session's
 *    adds one after another, sessions in parallel), first add → last completion: `burst`'s yardstick.
 */
export async function runReferenceBench(opts: { burst?: boolean } = {}): Promise<PartOutcome<ReferenceResult> & { figures: ReferenceFigures }> {
  const cfg = hotLoopSettings();
  const shape = burstSettings();
  log(`reference: starting BullMQ yardstick (1 worker × concurrency ${cfg.concurrency}), ${cfg.clients} clients`);
  // A redis-server of its own, so its INFO counts this system's commands only (redis-window.ts).
  const redis = await startOwnRedis();
  const ref = await startReferenceSystem({ llmLatencyMs: 0, concurrency: cfg.concurrency, redisUrl: redis.url, nodeArgs: cfg.referenceNodeArgs }).catch(async (err) => {
    await redis.stop();
    throw err;
  });
  try {
    const pid = ref.worker.child.pid!;
    const tag = randomBytes(3).toString("hex");
    const sessions = await retryWhenPostgresFull("reference: sessions", () => ref.createSessions(cfg.clients, tag));
    const start = performance.now();
    const from = start + cfg.warmupSeconds * 1000;
    const to = from + cfg.measureSeconds * 1000;
    const cpu = cpuWindow([pid, process.pid], from, to);
    const pgCpu = postgresCpuWindow(ref.db.sql, from, to);
    const redisCost = redisWindow(redis.url, from, to);
    let rss: RssSampler | undefined;
    const rssTimer = setTimeout(() => (rss = sampleRss([pid])), from - start);
    log(`reference: ${cfg.clients} clients running; warm-up ${cfg.warmupSeconds} s, measuring ${cfg.measureSeconds} s`);
    const { samples, errors, sessionsOpened } = await runReferenceLoop(ref, { sessions, sessionTurns: cfg.sessionTurns, until: to, tag });
    clearTimeout(rssTimer);
    const rssMax = rss?.stop().max ?? 0;
    const rssFinal = readRssMiB(pid) ?? 0;
    const window = cpu.result();
    const pg = pgCpu.result();
    const redisSpent = await redisCost.result();
    const failures: string[] = [];
    if (errors.length) failures.push(`${errors.length} jobs failed: ${errors.slice(0, 3).join("; ")}`);
    let turns = 0;
    let turnsPerSec = 0;
    let cpuPerTurn = Number.NaN;
    let benchCpuPerTurn = Number.NaN;
    let e2e: number[] = [];
    let events: ReferenceResult["eventsPerTurn"] = { worker: null, bench: null, postgres: null };
    if (window) {
      const measured = samples.filter((s) => s.doneAt >= window.start.at && s.doneAt <= window.end.at);
      turns = measured.length;
      turnsPerSec = round1(turns / ((window.end.at - window.start.at) / 1000));
      cpuPerTurn = (window.end.cpuMs[0]! - window.start.cpuMs[0]!) / turns;
      benchCpuPerTurn = (window.end.cpuMs[1]! - window.start.cpuMs[1]!) / turns;
      e2e = measured.map((s) => s.doneAt - s.sentAt);
      events = {
        worker: eventsPerTurn(window.start, window.end, 0, turns),
        bench: eventsPerTurn(window.start, window.end, 1, turns),
        postgres: pg && turns > 0 ? perTurnEvents(pg.events, turns) : null,
      };
    }
    if (turns === 0) failures.push("no job completed in the measure window");
    log(`reference: ${samples.length} jobs in all, ${turns} measured, ${turnsPerSec}/s; ${errors.length} failed`);
    log(`reference: Redis commands per job: ${commandsPerTurnText(redisSpent?.byCommand, turns)}`);

    const redisPerTurn = perTurnOf(redisSpent, turns);
    const postgresCpuMsPerTurn = pg && turns > 0 ? Math.round((pg.cpuMs / turns) * 100) / 100 : null;
    const machine = machineCpuMsPerTurn([cpuPerTurn, benchCpuPerTurn, postgresCpuMsPerTurn, redisPerTurn?.cpuMs]);
    const stealPct = stealPercent(window);
    const burst = opts.burst === false ? null : await referenceBurst(ref, shape, tag, failures);
    if (burst) log(`reference: burst of ${burst.turns} jobs in ${burst.seconds} s, ${burst.turnsPerSec}/s`);
    return {
      result: {
        clients: cfg.clients,
        turnsPerSession: cfg.sessionTurns || null,
        sessions: sessions.length + sessionsOpened,
        workerConcurrency: cfg.concurrency,
        llmLatencyMs: 0,
        notify: "QueueEvents completed",
        turns,
        turnsPerSec,
        e2eMs: summary(e2e),
        workerCpuMsPerTurn: Math.round(cpuPerTurn * 100) / 100,
        benchProcessCpuMsPerTurn: Math.round(benchCpuPerTurn * 100) / 100,
        postgresCpuMsPerTurn,
        redisPerTurn,
        machineCpuMsPerTurn: machine,
        eventsPerTurn: events,
        stealPct,
        workerRssMiB: { final: round1(rssFinal), max: round1(rssMax) },
        burst,
      },
      failures,
      figures: { turnsPerSec, burstTurnsPerSec: burst && burst.turns > 0 ? burst.turnsPerSec : null, machineCpuMsPerTurn: machine, stealPct },
    };
  } finally {
    await ref.stop();
    await redis.stop();
    log("reference: system stopped");
  }
}

/** 50 sessions × 20 jobs: each session's adds back to back (awaiting only Redis), sessions in parallel. */
async function referenceBurst(
  ref: ReferenceSystem,
  shape: { sessions: number; turnsPerSession: number },
  tag: string,
  failures: string[],
): Promise<BurstFigures> {
  const sessions = await retryWhenPostgresFull("reference: sessions", () => ref.createSessions(shape.sessions, `${tag}b`));
  const first = performance.now();
  let last = first;
  let ok = 0;
  const errors: string[] = [];
  await Promise.all(
    sessions.map(async (sessionId, c) => {
      const done: Promise<void>[] = [];
      for (let n = 0; n < shape.turnsPerSession; n++) {
        try {
          const job = await ref.addJob(`burst-${tag}-${c}-${n}`, sessionId, `ref burst ${tag} session ${c} turn ${n}`);
          done.push(
            job.done.then(() => {
              ok++;
              last = Math.max(last, performance.now());
            }),
          );
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      const settled = await Promise.allSettled(done);
      for (const s of settled) if (s.status === "rejected") errors.push((s.reason as Error).message);
    }),
  );
  if (errors.length) failures.push(`burst: ${errors.length} jobs failed: ${errors.slice(0, 3).join("; ")}`);
  const seconds = (last - first) / 1000;
  return {
    sessions: shape.sessions,
    turnsPerSession: shape.turnsPerSession,
    turns: ok,
    seconds: Math.round(seconds * 100) / 100,
    turnsPerSec: ok > 0 ? round1(ok / seconds) : 0,
  };
}
