import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createDb } from "@turnq/db";
import {
  createDrainQueues,
  createEventReader,
  createMailbox,
  createRedis,
  createTurnWatcher,
  keySpaceFor,
  publishCancel,
  publishTurnDone,
  queueGaugeSources,
  readWorkerStatuses,
  whenReady,
} from "@turnq/queue";
import { createTurnMetrics, turnqMeter } from "@turnq/telemetry";
import type { Logger } from "pino";
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
  // Producers fail fast once running; at start-up give Redis a moment so the first turns enqueue directly.
  await Promise.race([Promise.all([whenReady(redis), whenReady(bullRedis)]), new Promise((r) => setTimeout(r, 5_000).unref())]);
  // One drain queue per shard (QUEUE_SHARDS): each session's drain job goes to its shard's.
  const space = keySpaceFor(env);
  const queues = createDrainQueues(bullRedis, space, onRedisError);
  // Queue depth and waiting sessions on GET /metrics (fleet-wide values summed over shards, read at each scrape).
  const metrics = createTurnMetrics(turnqMeter(), queueGaugeSources(queues));

  const watcher = createTurnWatcher(subscriber, env.TURNQ_PREFIX);
  // Wait for the subscription before serving, so no notification is missed. Redis may be down: then
  // serve anyway (waiting requests fall back to re-reading the turn every few seconds).
  const subscribed = await Promise.race([
    watcher.ready.then(() => true, () => false),
    new Promise<false>((r) => setTimeout(() => r(false), 30_000).unref()),
  ]);
  if (!subscribed) logger.warn("not yet subscribed to turn notifications; Prefer: wait answers may lag by up to 5 s until Redis answers");
  subscriber.on("ready", () => logger.info("subscriber connected; turn notifications flow"));
  const app = createApp({
    db,
    logger,
    mailbox: createMailbox({ redis, queues, space }),
    watcher,
    events: createEventReader(redis, subscriber, space),
    readiness: { postgres: () => sql`select 1`, redis: () => redis.ping() },
    workers: () => readWorkerStatuses(redis, env.TURNQ_PREFIX),
    jaegerUiUrl: env.JAEGER_UI_URL,
    signals: {
      cancel: (turnId) => publishCancel(redis, env.TURNQ_PREFIX, turnId),
      done: (turn) => publishTurnDone(redis, env.TURNQ_PREFIX, { id: turn.id, status: turn.status, turn }),
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
        await Promise.allSettled([redis.quit(), bullRedis.quit(), subscriber.quit()]);
        await closeDb();
      })()),
  };
}
