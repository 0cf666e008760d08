import { once } from "node:events";
import { serve } from "@hono/node-server";
import { createShutdown } from "@turnq/core";
import { createDb } from "@turnq/db";
import { createMailbox, createRedis, createTurnWatcher, drainJob, type DrainJobData } from "@turnq/queue";
import { Queue } from "bullmq";
import pino from "pino";
import { createApp } from "./app.ts";
import { loadApiEnv } from "./env.ts";

// The API's composition root: read config, create clients, build the app, serve, register shutdown.
const env = loadApiEnv();
const logger = pino({ name: "turnq-api", level: env.LOG_LEVEL });
const onRedisError = (err: Error) => logger.warn({ err: err.message }, "redis connection error (retrying)");

const { db, sql, close: closeDb } = createDb(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: "turnq-api" });
const redis = createRedis(env.REDIS_URL, "producer", onRedisError);
const subscriber = createRedis(env.REDIS_URL, "subscriber", onRedisError);
// Producers fail fast once running; at start-up give Redis a moment so the first turns enqueue directly.
await once(redis, "ready").catch(() => {});
const queue = new Queue<DrainJobData>(drainJob.queueName, { connection: redis, prefix: env.TURNQ_PREFIX });
queue.on("error", onRedisError);

const app = createApp({
  db,
  logger,
  mailbox: createMailbox({ redis, queue, prefix: env.TURNQ_PREFIX }),
  watcher: createTurnWatcher(subscriber, env.TURNQ_PREFIX),
  readiness: { postgres: () => sql`select 1`, redis: () => redis.ping() },
  jaegerUiUrl: env.JAEGER_UI_URL,
});

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  logger.info({ url: `http://${env.HOST}:${info.port}` }, "turnq api listening");
});

createShutdown(logger, [
  ["http", () => new Promise<void>((resolve) => server.close(() => resolve()))],
  ["queue", () => queue.close()],
  ["redis", async () => void (await Promise.all([redis.quit(), subscriber.quit()]))],
  ["database", () => closeDb()],
]);
