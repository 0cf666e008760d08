import { Queue, Worker } from "bullmq";
import { createShutdown } from "@turnq/core";
import { createDb } from "@turnq/db";
import { createLlmClient } from "@turnq/llm";
import { cappedBackoff, createMailbox, createRedis, drainJob, publishTurnChanged, type DrainJobData } from "@turnq/queue";
import pino from "pino";
import { createDrainProcessor } from "./drain-session.ts";
import { loadWorkerEnv } from "./env.ts";
import { startReconciler } from "./reconciler.ts";
import { runTurn } from "./run-turn.ts";


// The worker's composition root: read config, create clients, wire the processor, start, and
// register one shutdown that closes everything in reverse order.
const env = loadWorkerEnv();
const logger = pino({ name: "turnq-worker", level: env.LOG_LEVEL });
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
  pool: { connections: env.LLM_POOL_CONNECTIONS },
});

let stopping = false;
const inFlight = new AbortController();
const processor = createDrainProcessor({
  db,
  mailbox,
  logger,
  maxAttempts: env.TURN_MAX_ATTEMPTS,
  turnsPerSlice: env.TURNS_PER_SLICE,
  shutdownSignal: inFlight.signal,
  isStopping: () => stopping,
  notify: (turnId, status) => publishTurnChanged(redis, env.TURNQ_PREFIX, turnId, status).catch(() => 0),
  runTurn: (turn, signal) =>
    runTurn(
      {
        db,
        llm,
        model: env.LLM_MODEL,
        systemPrompt: env.SYSTEM_PROMPT,
        windowMessages: env.CONTEXT_WINDOW_MESSAGES,
        maxAttempts: env.TURN_MAX_ATTEMPTS,
      },
      turn,
      signal,
    ),
});

await llm.warm().catch((err: Error) => logger.warn({ err: err.message }, "could not warm LLM connections; continuing"));

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

createShutdown(logger, [
  ["reconciler", () => reconciler.stop()],
  [
    "worker",
    async () => {
      stopping = true;
      // Drains hand their sessions back after the current turn; turns still running at the
      // deadline are aborted and released, so another worker picks them up at once.
      const deadline = setTimeout(() => inFlight.abort(new Error("worker shutting down")), env.SHUTDOWN_GRACE_MS);
      await worker.close();
      clearTimeout(deadline);
    },
  ],
  ["queue", () => queue.close()],
  ["redis", async () => void (await redis.quit())],
  ["llm", () => llm.close()],
  ["database", () => closeDb()],
]);

logger.info({ concurrency: env.WORKER_CONCURRENCY, prefix: env.TURNQ_PREFIX, model: env.LLM_MODEL }, "turnq worker started");
