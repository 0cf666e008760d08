import { hotLoopSettings, intEnv, log, type PartOutcome } from "./bench-env.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";

type StreamRun = { words: number } & Pick<ScenarioResult, "turns" | "turnsPerSec" | "cpuMsPerTurn" | "workerReadsPerTurn">;

export interface StreamingResult {
  clients: number;
  llmLatencyMs: number;
  short: StreamRun;
  long: StreamRun;
  /** The worker's extra CPU per extra word (one SSE chunk each), and per extra read of its sockets, in µs. */
  workerUsPerChunk: number;
  workerUsPerRead: number | null;
}

/**
 * What streaming costs the worker. The hot-path parts run the LLM at 0 ms with a short reply: the
 * whole answer arrives in one read. A real model streams a chunk per token or two over seconds, and
 * each chunk that arrives on its own wakes the worker (socket read, HTTP body, SSE, JSON, the
 * turn's delta window). Two closed loops (scenario.ts) on one system shape, the same LLM time,
 * replies of 10 words and of BENCH_STREAM_WORDS words (the simulator sends a chunk per word, evenly
 * spaced): the difference in the worker's CPU per turn over the difference in words is the cost of
 * a chunk, the figure to multiply by tokens streamed per second when sizing workers.
 */
export async function runStreamingBench(): Promise<PartOutcome<StreamingResult>> {
  const { warmupSeconds, measureSeconds, workerNodeArgs } = hotLoopSettings();
  const clients = intEnv("BENCH_STREAM_CLIENTS", 50);
  const llmLatencyMs = intEnv("BENCH_STREAM_LLM_MS", 1_000);
  const longWords = intEnv("BENCH_STREAM_WORDS", 200, 11);
  const failures: string[] = [];
  const runOne = async (words: number): Promise<StreamRun> => {
    const r = await runScenario({
      llmLatencyMs,
      clients,
      workers: 1,
      concurrency: 200,
      warmupSeconds,
      measureSeconds,
      workerNodeArgs, // BENCH_WORKER_NODE_ARGS: to profile the worker per chunk
      submitWaits: true,
      inputSuffix: `[[sim words=${words}]]`,
      name: `streaming ${words} words`,
      system: { childApi: { env: {} } },
    });
    failures.push(...r.failures.map((f) => `${words} words: ${f}`));
    if (r.turns === 0) failures.push(`${words} words: no turn completed in the measure window`);
    return { words, turns: r.turns, turnsPerSec: r.turnsPerSec, cpuMsPerTurn: r.cpuMsPerTurn, workerReadsPerTurn: r.workerReadsPerTurn };
  };
  const short = await runOne(10);
  const long = await runOne(longWords);
  const extraMs = long.cpuMsPerTurn.workers - short.cpuMsPerTurn.workers;
  const extraReads = long.workerReadsPerTurn !== null && short.workerReadsPerTurn !== null ? long.workerReadsPerTurn - short.workerReadsPerTurn : null;
  const result: StreamingResult = {
    clients,
    llmLatencyMs,
    short,
    long,
    workerUsPerChunk: Math.round((extraMs * 1000) / (long.words - short.words)),
    workerUsPerRead: extraReads ? Math.round((extraMs * 1000) / extraReads) : null,
  };
  log(`streaming: worker ${short.cpuMsPerTurn.workers} → ${long.cpuMsPerTurn.workers} ms per turn, ${result.workerUsPerChunk} µs per chunk`);
  return { result, failures };
}
