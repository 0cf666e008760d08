import { randomBytes } from "node:crypto";
import { hotLoopSettings, intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { cpuWindow } from "./proc-cpu.ts";
import { round1 } from "./stats.ts";

interface StreamRun {
  words: number;
  turns: number;
  turnsPerSec: number;
  /** CPU ms per turn (/proc) of the API process, the worker and the bench process (clients, simulator). */
  cpuMsPerTurn: { api: number; worker: number; bench: number };
  /** The worker's read system calls per turn: how many times the stream's bytes woke it. */
  workerReadsPerTurn: number;
}

export interface StreamingResult {
  clients: number;
  llmLatencyMs: number;
  short: StreamRun;
  long: StreamRun;
  /** The worker's extra CPU per extra word (one SSE chunk each), and per extra read of its sockets, in µs. */
  workerUsPerChunk: number;
  workerUsPerRead: number;
}

/**
 * What streaming costs the worker. The hot-path parts run the LLM at 0 ms with a short reply: the
 * whole answer arrives in one read. A real model streams a chunk per token or two over seconds, and
 * each chunk that arrives on its own wakes the worker (socket read, HTTP body, SSE, JSON, the
 * turn's delta window). Two closed loops on one system shape, the same LLM time, replies of
 * 10 words and of BENCH_STREAM_WORDS words (the simulator sends a chunk per word, evenly spaced):
 * the difference in the worker's CPU per turn over the difference in words is the cost of a chunk,
 * the figure to multiply by tokens streamed per second when sizing workers.
 */
export async function runStreamingBench(): Promise<PartOutcome<StreamingResult>> {
  const { warmupSeconds, measureSeconds } = hotLoopSettings();
  const clients = intEnv("BENCH_STREAM_CLIENTS", 50);
  const llmLatencyMs = intEnv("BENCH_STREAM_LLM_MS", 1_000);
  const longWords = intEnv("BENCH_STREAM_WORDS", 200, 11);
  const failures: string[] = [];
  const runOne = async (words: number): Promise<StreamRun> => {
    log(`streaming: ${clients} clients, LLM ${llmLatencyMs} ms, replies of ${words} words`);
    const sys = await startBenchSystem({ llmLatencyMs, workers: 1, concurrency: 200, workerNodeArgs: [], childApi: { env: {} } });
    try {
      const pids = [sys.apiProcess!.child.pid!, sys.workers[0]!.child.pid!, process.pid];
      let cpu: ReturnType<typeof cpuWindow> | undefined;
      let window = { from: 0, to: 0 };
      const loop = await runClosedLoop({
        baseUrl: sys.api.url,
        clients,
        tag: randomBytes(3).toString("hex"),
        submitWaits: true,
        inputSuffix: `[[sim words=${words}]]`,
        onStart(now) {
          window = { from: now + warmupSeconds * 1000, to: now + (warmupSeconds + measureSeconds) * 1000 };
          cpu = cpuWindow(pids, window.from, window.to);
          return window.to;
        },
      });
      const spent = cpu?.result();
      const turns = loop.samples.filter((s) => s.doneAt >= window.from && s.doneAt <= window.to).length;
      const failed = loop.errors.length + loop.samples.filter((s) => s.status !== "completed").length;
      if (failed > 0) failures.push(`${words} words: ${failed} turns or requests failed: ${loop.errors.slice(0, 3).join("; ")}`);
      if (!spent || turns === 0) throw new Error(`streaming: no CPU reading or no turn completed (${words} words)`);
      const per = (i: number) => Math.round(((spent.end.cpuMs[i]! - spent.start.cpuMs[i]!) / turns) * 100) / 100;
      const reads = (spent.end.events[1]?.reads ?? Number.NaN) - (spent.start.events[1]?.reads ?? Number.NaN);
      return {
        words,
        turns,
        turnsPerSec: round1(turns / measureSeconds),
        cpuMsPerTurn: { api: per(0), worker: per(1), bench: per(2) },
        workerReadsPerTurn: round1(reads / turns),
      };
    } finally {
      await sys.stop();
    }
  };
  const short = await runOne(10);
  const long = await runOne(longWords);
  const extraMs = long.cpuMsPerTurn.worker - short.cpuMsPerTurn.worker;
  const result: StreamingResult = {
    clients,
    llmLatencyMs,
    short,
    long,
    workerUsPerChunk: Math.round((extraMs * 1000) / (long.words - short.words)),
    workerUsPerRead: Math.round((extraMs * 1000) / (long.workerReadsPerTurn - short.workerReadsPerTurn)),
  };
  log(`streaming: worker ${short.cpuMsPerTurn.worker} → ${long.cpuMsPerTurn.worker} ms per turn, ${result.workerUsPerChunk} µs per chunk`);
  return { result, failures };
}
