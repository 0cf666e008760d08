import { createSecretBox } from "@turnq/core";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Worker } from "bullmq";
import { createDb } from "@turnq/db";
import { createLlmClient } from "@turnq/llm";
import { createContentCapture, turnqMeter } from "@turnq/telemetry";
import {
  cappedBackoff,
  concurrencyPerShard,
  createDrainQueues,
  createEventPublisher,
  createMailbox,
  createProviderAdmission,
  createPresenceConnection,
  createRedis,
  drainJob,
  keySpaceFor,
  presenceClientName,
  queuePrefix,
  startDeadWorkerSweep,
  startFleetSlots,
  startWorkerHeartbeat,
  webhookQueuePrefix,
  queueGaugeSources,
  createChannelHub,
  subscribeCancels,
  subscribeFollowSignals,
  whenReady,
  type DrainJobData,
} from "@turnq/queue";
import { createAgentCatalog } from "./agent/agent-catalog.ts";
import { runAgentTurn } from "./agent/agent-loop.ts";
import { createCancelRegistry } from "./cancel-registry.ts";
import { createContextCache, createSummaryAhead, historyRead } from "./context/index.ts";
import { createCodeTools } from "./tools/catalog.ts";
import type { Logger } from "pino";
import { createDrainProcessor } from "./drain-session.ts";
import type { WorkerEnv } from "./env.ts";
import { llmSpanObserver, tracedLlmClient } from "./llm-spans.ts";
import { startReconciler } from "./reconciler.ts";
import { TurnLive } from "./turn-live.ts";
import { disposeWorkerMetrics, workerMetrics } from "./worker-metrics.ts";
import { startWebhookWorker } from "./webhooks/webhook-worker.ts";

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
  // BullMQ's connection for the queue, and turnq's own (mailbox, live events, heartbeats), which
  // batches what a busy worker sends in the same turn of the event loop.
  const bullRedis = createRedis(env.REDIS_URL, "worker", onRedisError);
  const redis = createRedis(env.REDIS_URL, "worker", onRedisError, { autoPipelining: true });
  // One drain queue per shard (QUEUE_SHARDS); this worker runs a BullMQ Worker on each.
  const space = keySpaceFor(env);
  const queues = createDrainQueues(bullRedis, space, onRedisError);
  const mailbox = createMailbox({ redis, queues, space });
  workerMetrics(queueGaugeSources(queues, redis, space));
  // Every chat() becomes a `chat {model}` span with GenAI attributes (llm-spans.ts).
  const llm = tracedLlmClient(
    createLlmClient({
      provider: env.LLM_PROVIDER,
      baseUrl: env.LLM_BASE_URL,
      ...(env.LLM_API_KEY ? { apiKey: env.LLM_API_KEY } : {}),
      pool: { connections: env.LLM_POOL_CONNECTIONS ?? env.WORKER_CONCURRENCY },
      deadlines: {
        connectMs: env.LLM_CONNECT_TIMEOUT_MS,
        firstByteMs: env.LLM_FIRST_BYTE_TIMEOUT_MS,
        idleMs: env.LLM_IDLE_TIMEOUT_MS,
        totalMs: env.LLM_CALL_TIMEOUT_MS,
      },
      warm: { connections: env.LLM_WARM_CONNECTIONS, timeoutMs: env.LLM_WARM_TIMEOUT_MS },
      ...(env.LLM_MAX_ATTEMPTS ? { retry: { maxAttempts: env.LLM_MAX_ATTEMPTS } } : {}),
      breaker: {
        ...(env.LLM_BREAKER_FAILURES ? { failureThreshold: env.LLM_BREAKER_FAILURES } : {}),
        ...(env.LLM_BREAKER_OPEN_MS ? { openMs: env.LLM_BREAKER_OPEN_MS } : {}),
      },
      ...(env.LLM_MAX_IN_FLIGHT > 0 || env.LLM_TOKENS_PER_MINUTE > 0
        ? {
            admission: createProviderAdmission(redis, env.TURNQ_PREFIX, `${env.LLM_PROVIDER}:${new URL(env.LLM_BASE_URL).host}`, {
              maxInFlight: env.LLM_MAX_IN_FLIGHT,
              tokensPerMinute: env.LLM_TOKENS_PER_MINUTE,
            }),
          }
        : {}),
      observer: llmSpanObserver(),
    }),
    {
      capture: createContentCapture({
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
        TURNQ_OTEL_CONTENT_MAX_BYTES: env.TURNQ_OTEL_CONTENT_MAX_BYTES,
      }),
    },
  );
  // In the background: a slow or unreachable provider must not delay start-up or the first turns,
  // which open their own connections meanwhile. A failed warm-up leaves the client as usable as before.
  void llm.warm().then(
    () => logger.info("LLM connections warm"),
    (err: Error) => logger.warn({ err: err.message }, "could not warm LLM connections; turns will connect on demand"),
  );

  let stopping = false;
  const inFlight = new AbortController();
  const events = createEventPublisher(redis, space);
  const catalog = createAgentCatalog({
    db,
    codeTools: createCodeTools(),
    defaults: { model: env.LLM_MODEL, systemPrompt: env.SYSTEM_PROMPT },
    allowPrivateHttpTools: env.HTTP_TOOLS_ALLOW_PRIVATE,
    secrets: [env.LLM_API_KEY],
    box: env.TURNQ_ENCRYPTION_KEY && createSecretBox(env.TURNQ_ENCRYPTION_KEY),
    onUnknownTool: (agentId, name) => logger.warn({ agentId, tool: name }, "agent names a tool this worker does not have"),
  });
  const cancels = createCancelRegistry();
  // One subscriber connection: cancel requests, and readers who start following a session.
  const cancelSubscriber = createRedis(env.REDIS_URL, "subscriber", onRedisError);
  const channels = createChannelHub(cancelSubscriber);
  const unsubscribeCancels = await subscribeCancels(channels, env.TURNQ_PREFIX, (turnId) => cancels.fire(turnId));
  const followSignals = await subscribeFollowSignals(redis, channels, space);
  const contextCache = createContextCache({ maxSessions: env.CONTEXT_CACHE_SESSIONS, maxMessagesPerSession: env.CONTEXT_WINDOW_MESSAGES });
  const summaryDrafts = createSummaryAhead({ db, maxSessions: env.CONTEXT_CACHE_SESSIONS });
  const loopDeps = {
    db,
    llm,
    catalog,
    contextCache,
    compactionThreshold: env.COMPACTION_THRESHOLD,
    compactionAhead: env.COMPACTION_AHEAD < 1 ? { drafts: summaryDrafts, share: env.COMPACTION_AHEAD } : undefined,
    prices: env.LLM_PRICES,
    maxAttempts: env.TURN_MAX_ATTEMPTS,
  };
  const webhooks = await startWebhookWorker({
    db,
    logger,
    redisUrl: env.REDIS_URL,
    // Its own hash tag in the tagged layout (keys.ts), so BullMQ's scripts run on a Redis Cluster.
    queuePrefix: webhookQueuePrefix(space),
    concurrency: env.WEBHOOK_CONCURRENCY,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    schedule: env.WEBHOOK_RETRY_SCHEDULE_MS,
    breaker: { failures: env.WEBHOOK_BREAKER_FAILURES, openMs: env.WEBHOOK_BREAKER_OPEN_MS },
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS,
  });
  const processor = createDrainProcessor({
    db,
    mailbox,
    logger,
    webhooks: webhooks.enqueuer,
    limits: { maxAttempts: env.TURN_MAX_ATTEMPTS, maxCrashes: env.TURN_MAX_CRASHES },
    turnsPerSlice: env.TURNS_PER_SLICE,
    // All shards' slots: the processor's fairness check counts drains across them.
    concurrency: concurrencyPerShard(env.WORKER_CONCURRENCY, space) * space.shards,
    provider: llm.provider,
    shutdownSignal: inFlight.signal,
    isStopping: () => stopping,
    cancels,
    historyRead: (sessionId) => historyRead(contextCache, sessionId),
    openLive: (turn) => new TurnLive(events, followSignals, turn),
    runTurn: (starting, signals) => runAgentTurn(loopDeps, starting, signals),
  });

  // BullMQ never closes a connection it is given (it counts it as shared): close() quits it below.
  const workerRedis = createRedis(env.REDIS_URL, "worker", onRedisError);
  const workers = Array.from(
    { length: space.shards },
    (_, shard) =>
      new Worker<DrainJobData>(drainJob.queueName, processor, {
        connection: workerRedis,
        prefix: queuePrefix(space, shard),
        concurrency: concurrencyPerShard(env.WORKER_CONCURRENCY, space),
        lockDuration: env.LOCK_DURATION_MS,
        stalledInterval: env.STALLED_INTERVAL_MS,
        // A drain job lives as long as its session is busy, across many turns and crashes; how often a
        // turn may be abandoned is bounded per turn in Postgres (TURN_MAX_CRASHES), not per job here.
        maxStalledCount: 1_000_000,
        settings: { backoffStrategy: cappedBackoff },
        // Started below, once this worker's presence connections exist: no lock of ours without them.
        autorun: false,
      }),
  );
  for (const worker of workers) {
    worker.on("error", (err) => logger.error({ err: err.message }, "worker error"));
    worker.on("failed", (job, err) => logger.error({ jobId: job?.id, err: err.message }, "drain job failed; it will be retried"));
  }
  // Idle but open for the life of the process, one per BullMQ Worker (each has its own id in its
  // lock tokens): other workers read them in CLIENT LIST as "alive".
  const presences = workers.map((worker) => createPresenceConnection(env.REDIS_URL, presenceClientName(worker.id), onRedisError));
  await Promise.all(presences.map((p) => whenReady(p)));
  // This worker's slots count in the fleet's total on every shard, which sizes each tenant's share
  // there (fair scheduling). workers[0]'s id names this process in the registries.
  const slots = startFleetSlots(redis, space, workers[0]!.id, concurrencyPerShard(env.WORKER_CONCURRENCY, space));
  await slots.ready;
  const sweep =
    env.DEAD_WORKER_SWEEP_MS > 0
      ? startDeadWorkerSweep({
          redis,
          queues,
          selfIds: workers.map((w) => w.id),
          intervalMs: env.DEAD_WORKER_SWEEP_MS,
          graceMs: env.DEAD_WORKER_SWEEP_MS,
          onReleased: (jobIds, dead) => logger.warn({ sessions: jobIds.length, deadWorkers: dead }, "released the sessions of dead workers"),
          onError: (err) => logger.warn({ err: err.message }, "dead-worker sweep failed; will try again"),
        })
      : undefined;

  // Sessions this worker's reconciler re-announced, reported with the heartbeat (GET /v1/fleet).
  let reconcilerRepairs = 0;
  const instanceId = randomUUID();
  const heartbeat = startWorkerHeartbeat(redis, env.TURNQ_PREFIX, () => ({
    instanceId,
    host: hostname(),
    pid: process.pid,
    breaker: llm.status().breaker,
    provider: llm.provider,
    connectionsWarm: llm.status().connectionsWarm,
    turnsInFlight: cancels.size(),
    reconcilerRepairs,
  }));
  // 1 while this worker's LLM circuit breaker is open (failing fast), else 0.
  const breakerGauge = turnqMeter().createObservableGauge("turnq.llm.breaker_open", { description: "1 while the LLM circuit breaker is open" });
  const observeBreaker = (r: { observe(v: number, a?: Record<string, string>): void }) =>
    r.observe(llm.status().breaker === "closed" ? 0 : 1, { "gen_ai.provider.name": llm.provider });
  breakerGauge.addCallback(observeBreaker);
  const reconciler = startReconciler({
    db,
    redis,
    mailbox,
    logger,
    prefix: env.TURNQ_PREFIX,
    intervalMs: env.RECONCILE_INTERVAL_MS,
    minAgeMs: env.RECONCILE_MIN_AGE_MS,
    onRepaired: (sessions) => {
      reconcilerRepairs += sessions;
      workerMetrics().recordReconcilerRepairs(sessions);
    },
    webhooks: { enqueuer: webhooks.enqueuer, overdueMs: env.WEBHOOK_RECONCILE_AGE_MS },
  });
  for (const worker of workers) worker.run().catch((err: Error) => logger.error({ err: err.message }, "worker stopped with an error"));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // workerId: the id in this worker's lock tokens and presence connection (turnq-presence:<id>);
  // one per shard (workerIds) when QUEUE_SHARDS > 1.
  logger.info(
    {
      concurrency: env.WORKER_CONCURRENCY,
      prefix: env.TURNQ_PREFIX,
      shards: space.shards,
      model: env.LLM_MODEL,
      workerId: workers[0]!.id,
      ...(workers.length > 1 ? { workerIds: workers.map((w) => w.id) } : {}),
    },
    "turnq worker started",
  );

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        // The grace starts now, whatever the steps before the drain wait for.
        stopping = true;
        const deadline = setTimeout(() => {
          const reason = new Error("worker shutting down");
          inFlight.abort(reason);
          // Through each turn's own signal: a listener per turn on one shared signal costs O(turns) to add.
          cancels.abortAll(reason);
        }, env.SHUTDOWN_GRACE_MS);
        await reconciler.stop();
        await slots.stop();
        await sweep?.stop();
        await heartbeat.stop();
        breakerGauge.removeCallback(observeBreaker);
        // Deliveries in flight end within WEBHOOK_TIMEOUT_MS, alongside the turns' grace; the
        // producer stays open until the turns (which enqueue deliveries) are done.
        const deliveriesStopped = webhooks.stopDelivering();
        await Promise.all(workers.map((w) => w.close()));
        // No turn is left to append a draft: stop the summary calls still being written ahead.
        summaryDrafts.close();
        await workerRedis.quit().catch(() => {});
        await deliveriesStopped;
        await webhooks.close();
        clearTimeout(deadline);
        await unsubscribeCancels();
        await followSignals.close();
        await cancelSubscriber.quit().catch(() => {});
        await Promise.all(presences.map((p) => p.quit().catch(() => {})));
        disposeWorkerMetrics();
        await Promise.all(queues.map((q) => q.close()));
        await redis.quit().catch(() => {});
        await bullRedis.quit().catch(() => {});
        await catalog.close();
        await llm.close();
        await closeDb();
      })()),
  };
}
