import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createSecretBox } from "@turnq/core";
import { createDb, findActiveApiKey } from "@turnq/db";
import {
  createDrainQueues,
  createChannelHub,
  createEventReader,
  createMailbox,
  createQueueDepth,
  createRequestAdmission,
  createRedis,
  createTurnWatcher,
  createWebhookEnqueuer,
  keySpaceFor,
  onApiKeyRevoked,
  publishApiKeyRevoked,
  publishCancel,
  publishTurnDone,
  queueGaugeSources,
  readWorkerStatuses,
  webhookDeliveryJob,
  webhookQueuePrefix,
  whenReady,
  type WebhookDeliveryJobData,
} from "@turnq/queue";
import { createTurnMetrics, turnqMeter } from "@turnq/telemetry";
import { Queue } from "bullmq";
import type { Logger } from "pino";
import { createApiKeyCache } from "./api-key-cache.ts";
import { createApp } from "./app.ts";
import type { ApiEnv } from "./env.ts";
import { createHttpServer } from "./http-server.ts";

export interface RunningApi {
  url: string;
  /** Closes in reverse order of creation: HTTP, queue, Redis, database. Idempotent. */
  close(): Promise<void>;
}

/** Creates the API's clients and serves it. main.ts and the tests start the API the same way. */
export async function startApi(env: ApiEnv, logger: Logger): Promise<RunningApi> {
  const onRedisError = (err: Error) => logger.warn({ err: err.message }, "redis connection error (retrying)");
  const { db, sql, close: closeDb } = createDb(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: "turnq-api" });
  // turnq's own commands (mailbox, event reads, readiness) batch per event-loop turn; BullMQ gets
  // a connection of its own, as it expects.
  const redis = createRedis(env.REDIS_URL, "producer", onRedisError, { autoPipelining: true });
  const bullRedis = createRedis(env.REDIS_URL, "producer", onRedisError);
  const subscriber = createRedis(env.REDIS_URL, "subscriber", onRedisError);
  // Its one reader: turn notifications, session-event nudges and key revocations listen through it.
  const channels = createChannelHub(subscriber);
  // Producers fail fast once running; at start-up give Redis a moment so the first turns enqueue directly.
  await Promise.race([Promise.all([whenReady(redis), whenReady(bullRedis)]), new Promise((r) => setTimeout(r, 5_000).unref())]);
  // One drain queue per shard (QUEUE_SHARDS): each session's drain job goes to its shard's.
  const space = keySpaceFor(env);
  const queues = createDrainQueues(bullRedis, space, onRedisError);
  const webhookQueue = new Queue<WebhookDeliveryJobData>(webhookDeliveryJob.queueName, { connection: bullRedis, prefix: webhookQueuePrefix(space) });
  webhookQueue.on("error", onRedisError);
  // Queue depth and waiting sessions on GET /metrics (fleet-wide values summed over shards, read at each scrape).
  const metrics = createTurnMetrics(turnqMeter(), queueGaugeSources(queues, redis, space));

  const watcher = createTurnWatcher(channels, env.TURNQ_PREFIX);
  // Wait for the subscription before serving, so no notification is missed. Redis may be down: then
  // serve anyway (waiting requests fall back to re-reading the turn every few seconds).
  const subscribed = await Promise.race([
    watcher.ready.then(() => true, () => false),
    new Promise<false>((r) => setTimeout(() => r(false), 30_000).unref()),
  ]);
  if (!subscribed) logger.warn("not yet subscribed to turn notifications; Prefer: wait answers may lag by up to 5 s until Redis answers");
  subscriber.on("ready", () => logger.info("subscriber connected; turn notifications flow"));
  const keys = createApiKeyCache({ lookup: (hash) => findActiveApiKey(db, hash) });
  // Revocations reach this process by pub/sub; until it is subscribed, trust a verification 1 s only.
  keys.degrade();
  void onApiKeyRevoked(channels, env.TURNQ_PREFIX, {
    onRevoked: (keyId) => keys.revoke(keyId),
    onLost: () => keys.degrade(),
    onRestored: () => keys.restore(),
  }).then(() => keys.restore());
  const app = createApp({
    db,
    logger,
    mailbox: createMailbox({ redis, queues, space }),
    watcher,
    events: createEventReader(redis, channels, space),
    readiness: { postgres: () => sql`select 1`, redis: () => redis.ping() },
    admission: createRequestAdmission(redis, space, {
      keyPerSecond: env.RATE_LIMIT_KEY_PER_SECOND,
      keyBurst: env.RATE_LIMIT_KEY_BURST,
      tenantPerSecond: env.RATE_LIMIT_TENANT_PER_SECOND,
      tenantBurst: env.RATE_LIMIT_TENANT_BURST,
      sessionMaxQueuedTurns: env.SESSION_MAX_QUEUED_TURNS,
      tenantMaxBusySessions: env.TENANT_MAX_BUSY_SESSIONS,
    }),
    backlog: { depth: createQueueDepth(redis, space), max: env.QUEUE_MAX_WAITING_SESSIONS },
    workers: () => readWorkerStatuses(redis, env.TURNQ_PREFIX),
    // Summed over the shards' drain queues.
    queueCounts: async () => {
      const perShard = await Promise.all(queues.map((q) => q.getJobCounts("wait", "prioritized", "delayed", "active")));
      const total: Record<string, number> = {};
      for (const counts of perShard) for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
      return total;
    },
    jaegerUiUrl: env.JAEGER_UI_URL,
    keys,
    secrets: env.TURNQ_ENCRYPTION_KEY && createSecretBox(env.TURNQ_ENCRYPTION_KEY),
    // From apps/api/src (dev, tests) and apps/api/dist (the bundle) alike: apps/console/dist.
    consoleDir: env.CONSOLE_DIR ?? fileURLToPath(new URL("../../console/dist/", import.meta.url)),
    signals: {
      cancel: (turnId) => publishCancel(redis, env.TURNQ_PREFIX, turnId),
      done: (turn) => publishTurnDone(redis, env.TURNQ_PREFIX, { id: turn.id, sessionId: turn.sessionId, status: turn.status, turn }),
    },
    webhooks: createWebhookEnqueuer(webhookQueue),
    webhookAllowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
  }, env.TURNQ_ADMIN_KEY === undefined ? undefined : {
    db,
    adminKey: env.TURNQ_ADMIN_KEY,
    publishRevoked: (keyId) => {
      keys.revoke(keyId); // this process at once; the others by the message
      return publishApiKeyRevoked(redis, env.TURNQ_PREFIX, keyId);
    },
  });

  const server = createHttpServer(app.fetch, {
    hostname: env.HOST,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    onError: (err) => logger.error({ err: (err as Error).message, stack: (err as Error).stack }, "unhandled error"),
  });
  server.listen(env.PORT, env.HOST);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.HOST}:${port}`;
  logger.info({ url }, "turnq api listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Long-polling requests would hold the close for up to a minute; end them now.
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        metrics.dispose();
        await Promise.all(queues.map((q) => q.close()));
        await webhookQueue.close();
        await Promise.allSettled([redis.quit(), bullRedis.quit(), subscriber.quit()]);
        await closeDb();
      })()),
  };
}
