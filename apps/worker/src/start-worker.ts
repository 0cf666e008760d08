import { Queue, Worker } from "bullmq";
import { createDb } from "@turnq/db";
import { createLlmClient } from "@turnq/llm";
import { cappedBackoff, createMailbox, createRedis, drainJob, publishTurnChanged, type DrainJobData } from "@turnq/queue";
import type { Logger } from "pino";
import { createDrainProcessor } from "./drain-session.ts";
import type { WorkerEnv } from "./env.ts";
import { startReconciler } from "./reconciler.ts";
import { runTurn } from "./run-turn.ts";

export interface RunningWorker {
  /**
   * Stops taking sessions, lets running turns finish for up to SHUTDOWN_GRACE_MS, then aborts and
   * hands back the rest; closes everything in reverse order of creation. Idempotent.
   */
  close(): Promise<void>;
}

/** Creates the worker's clients and starts processing. main.ts and the tests start it the same way. */
export async function startWorker(env: WorkerEnv, logger: Logger): Promise<RunningWorker> {
  const onRedisError = (err: Error) => logger.warn({ err: err.message }, "redis connection error (retrying)");
  const { db, close: closeDb } = createDb(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: "turnq-worker" });
  const redis = createRedis(env.REDIS_URL, "worker", onRedisError);
  const queue = new Queue<DrainJobData>(drainJob.queueName, { connection: redis, prefix: env.TURNQ_PREFIX });
  queue.on("error", onRedisError);
  const mailbox = createMailbox({ redis, queue, prefix: env.TURNQ_PREFIX });
  const llm = createLlmClient({
    provider: env.LLM_PROVIDER,
    baseUrl: env.LLM_BASE_URL,
    ...(env.LLM_API_KEY ? { apiKey: env.LLM_API_KEY } : {}),
    pool: { connections: env.LLM_POOL_CONNECTIONS ?? env.WORKER_CONCURRENCY },
  });
  await llm.warm().catch((err: Error) => logger.warn({ err: err.message }, "could not warm LLM connections; continuing"));

  let stopping = false;
  const inFlight = new AbortController();
  const turnDeps = {
    db,
    llm,
    model: env.LLM_MODEL,
    systemPrompt: env.SYSTEM_PROMPT,
    windowMessages: env.CONTEXT_WINDOW_MESSAGES,
    maxAttempts: env.TURN_MAX_ATTEMPTS,
  };
  const processor = createDrainProcessor({
    db,
    mailbox,
    logger,
    maxAttempts: env.TURN_MAX_ATTEMPTS,
    turnsPerSlice: env.TURNS_PER_SLICE,
    shutdownSignal: inFlight.signal,
    isStopping: () => stopping,
    notify: (turnId, status) => publishTurnChanged(redis, env.TURNQ_PREFIX, turnId, status).catch(() => 0),
    runTurn: (turn, signal) => runTurn(turnDeps, turn, signal),
  });

  const worker = new Worker<DrainJobData>(drainJob.queueName, processor, {
    connection: createRedis(env.REDIS_URL, "worker", onRedisError),
    prefix: env.TURNQ_PREFIX,
    concurrency: env.WORKER_CONCURRENCY,
    lockDuration: env.LOCK_DURATION_MS,
    stalledInterval: env.STALLED_INTERVAL_MS,
    maxStalledCount: 5,
    settings: { backoffStrategy: cappedBackoff },
  });
  worker.on("error", (err) => logger.error({ err: err.message }, "worker error"));
  worker.on("failed", (job, err) => logger.error({ jobId: job?.id, err: err.message }, "drain job failed; it will be retried"));

  const reconciler = startReconciler({
    db,
    redis,
    mailbox,
    logger,
    prefix: env.TURNQ_PREFIX,
    intervalMs: env.RECONCILE_INTERVAL_MS,
    minAgeMs: env.RECONCILE_MIN_AGE_MS,
  });
  await worker.waitUntilReady();
  logger.info({ concurrency: env.WORKER_CONCURRENCY, prefix: env.TURNQ_PREFIX, model: env.LLM_MODEL }, "turnq worker started");

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        await reconciler.stop();
        stopping = true;
        const deadline = setTimeout(() => inFlight.abort(new Error("worker shutting down")), env.SHUTDOWN_GRACE_MS);
        await worker.close();
        clearTimeout(deadline);
        await queue.close();
        await redis.quit().catch(() => {});
        await llm.close();
        await closeDb();
      })()),
  };
}
