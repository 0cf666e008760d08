import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { startProcess } from "../support/processes.ts";

/**
 * `npm run bench` is how issue #8's figures are taken, and nothing else runs it: a schema change
 * once made its reference crash (sessions need a tenant) without any test noticing. This runs the
 * hot-path parts at a tiny shape (a few clients, seconds-long windows) and checks only that each
 * part ran and measured something; the figures themselves mean nothing at this size and on a
 * machine busy with other tests, so none is asserted.
 */
describe("npm run bench", () => {
  it("runs the hot-path parts end to end and prints one JSON line with each of them", { timeout: 600_000 }, async () => {
    const env = {
      ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
      BENCH_ONLY: "reference,hotpath,burst,overhead,streaming,context,tracing",
      BENCH_HOTPATH_CLIENTS: "4",
      BENCH_HOTPATH_CONCURRENCY: "8",
      BENCH_WARMUP_SECONDS: "1",
      BENCH_SECONDS: "4",
      BENCH_PAIRS: "2",
      BENCH_HOTPATH_SESSION_TURNS: "3",
      BENCH_BURST_SESSIONS: "3",
      BENCH_BURST_TURNS: "4",
      BENCH_BURST_WARMUP_SECONDS: "1",
      BENCH_OVERHEAD_CLIENTS: "3",
      BENCH_STREAM_CLIENTS: "3",
      BENCH_STREAM_LLM_MS: "200",
      BENCH_STREAM_WORDS: "40",
      BENCH_CONTEXT_RUNS: "5",
      BENCH_CONTEXT_LARGE: "300",
      BENCH_CONTEXT_ROUNDS: "2",
      // tracing's closed loop (the scenarios' shape): one round of its three modes.
      BENCH_CLIENTS: "4",
      BENCH_CONCURRENCY: "8",
      BENCH_TRACING_ROUNDS: "1",
      BENCH_TRACING_WARMUP_SECONDS: "1",
      BENCH_TRACING_SECONDS: "3",
    };
    // startProcess: should this test's process die, the bench stops too (and with it its systems).
    const bench = startProcess("bench", "test/bench/run.ts", env);
    // "close", not "exit": by then every line it wrote has been read.
    const [code] = (await once(bench.child, "close")) as [number | null];
    expect(code, `the bench failed; its output:\n${bench.output().slice(-4000)}`).toBe(0);
    // Progress goes to stderr, the result to stdout as one JSON line: the only line that starts with "{".
    const line = bench.output().split("\n").findLast((l) => l.startsWith("{"));
    expect(line, "the bench printed no JSON line").toBeDefined();
    const result = JSON.parse(line!) as Record<string, any>;
    expect(result.reference.turns).toBeGreaterThan(0);
    expect(result.reference.redisPerTurn.commands).toBeGreaterThan(0);
    expect(result.hotpath.turns).toBeGreaterThan(0);
    expect(result.hotpath.orderViolations.value).toBe(0);
    // Both loops' clients move to a new session every 3 turns (a turn ends within the window's first second).
    for (const part of [result.reference, result.hotpath]) {
      expect(part.turnsPerSession).toBe(3);
      expect(part.sessions).toBeGreaterThan(4);
    }
    expect(result.hotpath.redisPerTurn.commands.value).toBeGreaterThan(0);
    // Every turn crosses the worker's sockets (claim, LLM call, append, settle): /proc was read.
    expect(result.hotpath.eventsPerTurn.worker.writes).toBeGreaterThan(0);
    expect(result.hotpath.eventsPerTurn.api.writes).toBeGreaterThan(0);
    expect(result.reference.eventsPerTurn.worker.writes).toBeGreaterThan(0);
    // Two reference-then-turnq pairs, the first on the reference part's own loop; the ratio is one of theirs.
    expect(result.hotpath.pairs).toHaveLength(2);
    expect(result.hotpath.pairs[0].reference).toBe(result.reference.turnsPerSec);
    for (const p of result.hotpath.pairs) expect(p.reference * p.turnq).toBeGreaterThan(0);
    expect(result.hotpath.pairs.map((p: { ratio: number }) => p.ratio)).toContain(result.hotpath.vsReference.value);
    expect(result.burst.turns).toBe(12);
    expect(result.overhead.loaded.turns).toBeGreaterThan(0);
    expect(result.overhead.alone.turns).toBeGreaterThan(0);
    // The plain BullMQ job's overhead beside turnq's, measured the same way: a job crosses processes,
    // so it costs more than nothing even alone.
    for (const shape of [result.overhead.loaded, result.overhead.alone]) {
      expect(shape.reference.clients).toBe(shape.clients);
      expect(shape.reference.turns).toBeGreaterThan(0);
      expect(shape.reference.overheadMs.p50).toBeGreaterThan(0);
    }
    // The overhead split into stages from Postgres's and the simulator's timestamps: all five present;
    // pickup (commit, enqueue, fetch) and reply (commit, notify, answer) always cross processes.
    const stages = result.overhead.loaded.stagesMs;
    expect(Object.keys(stages).sort()).toEqual(["context", "finish", "pickup", "reply", "submit"]);
    for (const ms of Object.values(stages)) expect(Number.isFinite(ms)).toBe(true);
    expect(stages.pickup).toBeGreaterThan(0);
    expect(stages.reply).toBeGreaterThan(0);
    // Where one turn's CPU went, per process, read from /proc over the window; the host's steal beside it.
    for (const k of ["api", "workers", "bench", "postgres"]) expect(result.overhead.alone.cpuMsPerTurn[k]).toBeGreaterThan(0);
    for (const steal of [result.reference.stealPct, result.hotpath.stealPct, result.overhead.alone.stealPct, ...result.hotpath.pairs.flatMap((p: any) => [p.stealPct.reference, p.stealPct.turnq])]) {
      expect(steal).toBeGreaterThanOrEqual(0);
      expect(steal).toBeLessThanOrEqual(100);
    }
    // A reply of 40 words streamed over 100 ms reaches the worker in more reads than one of 10.
    expect(result.streaming.short.turns).toBeGreaterThan(0);
    expect(result.streaming.long.workerReadsPerTurn).toBeGreaterThan(result.streaming.short.workerReadsPerTurn);
    expect(result.context.large.priorMessages).toBe(300);
    // The "within 20 %" is a target, taken as the median over rounds run back to back.
    expect(result.context.warmMsByRound).toHaveLength(2);
    expect(result.context.ratios.warmMs).toMatchObject({ target: "<= 1.2", value: expect.any(Number) });
    // Tracing ran each mode on its own system, and the exporting one reached the receiver from both processes.
    expect(result.tracing.byRound).toHaveLength(1);
    for (const mode of ["disabled", "none", "on"]) {
      expect(result.tracing[mode].turns).toBeGreaterThan(0);
      expect(result.tracing[mode].cpuMsPerTurn.api).toBeGreaterThan(0);
      expect(result.tracing[mode].cpuMsPerTurn.workers).toBeGreaterThan(0);
    }
    expect(result.tracing.spans).toBeGreaterThan(0);
    expect(result.tracing.services).toEqual(["turnq-api", "turnq-worker"]);
    expect(result.tracing.ratios.vsNone.turnsPerSec).toMatchObject({ target: ">= 0.9", value: expect.any(Number) });
  });
});
