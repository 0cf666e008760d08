import { randomBytes } from "node:crypto";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { redisUrl } from "../support/services.ts";
import { createBenchDatabase, type BenchDatabase } from "./bench-database.ts";

const giveUpMs = 120_000;

export interface ReferenceSystem {
  db: BenchDatabase;
  sim: Simulator;
  /** The BullMQ worker's own node process (reference-worker.ts). */
  worker: AppProcess;
  /** Inserts `n` sessions, each with the placeholder turn its messages point at; returns their ids. */
  createSessions(n: number, tag: string): Promise<string[]>;
  /** Adds one job and resolves when QueueEvents reports it completed (rejects if it failed). */
  runJob(jobId: string, sessionId: string, input: string): Promise<void>;
  /** Adds one job and returns once Redis has it; `done` settles when it completes. */
  addJob(jobId: string, sessionId: string, input: string): Promise<{ done: Promise<void> }>;
  stop(): Promise<void>;
}

/**
 * The yardstick's system: the same fresh-database, own-Redis-prefix and in-process-simulator setup
 * as turnq's bench systems, but a plain BullMQ queue with one job per turn and the worker of
 * reference-worker.ts as a child process. Completion reaches the client through QueueEvents (the
 * `completed` entry BullMQ writes to its event stream anyway as part of finishing a job), so the
 * worker spends nothing extra on telling the client; one XREAD reader in this process hears all.
 */
export async function startReferenceSystem(opts: {
  llmLatencyMs: number;
  concurrency: number;
  redisUrl?: string;
  /** Extra node flags for the worker process (profiling it beside turnq's). */
  nodeArgs?: string[];
}): Promise<ReferenceSystem> {
  const prefix = `benchref${randomBytes(4).toString("hex")}`;
  const queueName = "turns";
  const url = opts.redisUrl ?? redisUrl();
  const db = await createBenchDatabase();
  const sim = await startSimulator({ latencyMs: opts.llmLatencyMs });
  const producer = new Redis(url, { maxRetriesPerRequest: null });
  const listener = new Redis(url, { maxRetriesPerRequest: null });
  for (const r of [producer, listener]) r.on("error", (err) => process.stderr.write(`bench: reference redis: ${err.message}\n`));
  const queue = new Queue(queueName, { connection: producer, prefix });
  const events = new QueueEvents(queueName, { connection: listener, prefix });
  const waiters = new Map<string, { resolve(): void; reject(err: Error): void }>();
  events.on("completed", ({ jobId }) => {
    waiters.get(jobId)?.resolve();
    waiters.delete(jobId);
  });
  events.on("failed", ({ jobId, failedReason }) => {
    waiters.get(jobId)?.reject(new Error(`reference job ${jobId} failed: ${failedReason}`));
    waiters.delete(jobId);
  });
  let worker: AppProcess | undefined;
  const stop = async () => {
    const code = await worker?.stop("SIGTERM");
    if (worker && code !== 0) process.stderr.write(`bench: reference worker exited with ${code}\n${worker.output().slice(-2000)}\n`);
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
    producer.disconnect();
    listener.disconnect();
    await sim.close();
    await db.drop();
    await deleteKeys(url, prefix);
  };
  try {
    await events.waitUntilReady();
    worker = startProcess("reference-worker", "test/bench/reference-worker.ts", {
      REF_DATABASE_URL: db.url,
      REF_REDIS_URL: url,
      REF_PREFIX: prefix,
      REF_QUEUE: queueName,
      REF_LLM_URL: sim.url,
      REF_CONCURRENCY: String(opts.concurrency),
    }, opts.nodeArgs);
    await worker.waitForLine(/reference worker ready/);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const addJob = async (jobId: string, sessionId: string, input: string) => {
    // Registered before the add: the completion cannot then arrive before anyone listens.
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(jobId);
        reject(new Error(`reference job ${jobId} not completed after ${giveUpMs} ms`));
      }, giveUpMs);
      waiters.set(jobId, {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (err) => (clearTimeout(timer), reject(err)),
      });
    });
    done.catch(() => {}); // handled by whoever awaits it; never an unhandled rejection meanwhile
    try {
      // One retry: postgres.js has been seen to refuse a transaction (UNSAFE_TRANSACTION) once in
      // thousands of jobs on a loaded machine; the yardstick should not fail the whole bench for it.
      await queue.add("turn", { sessionId, input }, { jobId, removeOnComplete: true, removeOnFail: true, attempts: 2 });
    } catch (err) {
      waiters.get(jobId)?.reject(err as Error);
      throw err;
    }
    return { done };
  };

  return {
    db,
    sim,
    worker: worker!,
    async createSessions(n, tag) {
      const ids = Array.from({ length: n }, (_, i) => `ses_ref_${tag}_${i}`);
      // Rows as the schema requires them since tenants (#10): one tenant owns the reference's sessions.
      await db.sql`insert into tenants (id, name) values ('ten_reference', 'reference') on conflict do nothing`;
      await db.sql`insert into sessions ${db.sql(ids.map((id) => ({ id, tenant_id: "ten_reference" })))}`;
      await db.sql`insert into turns ${db.sql(
        ids.map((id) => ({ id: `turn_ref_${id}`, session_id: id, tenant_id: "ten_reference", position: 1, status: "completed", input: "", request_hash: "reference", finished_at: new Date().toISOString() })),
      )}`;
      return ids;
    },
    addJob,
    async runJob(jobId, sessionId, input) {
      await (await addJob(jobId, sessionId, input)).done;
    },
    stop,
  };
}
