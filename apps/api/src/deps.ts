import type { SecretBox } from "@turnq/core";
import type { Db, TurnRow } from "@turnq/db";
import type { EventReader, Mailbox, QueueDepth, RequestAdmission, TurnWatcher, WebhookEnqueuer, WorkerStatus } from "@turnq/queue";
import type { Logger } from "pino";
import type { ApiKeyCache } from "./api-key-cache.ts";
import type { Caller } from "./caller.ts";

/** Everything the HTTP layer needs, created by main.ts (or by a test) and passed in. */
export interface ApiDeps {
  db: Db;
  mailbox: Mailbox;
  watcher: TurnWatcher;
  events: EventReader;
  logger: Logger;
  /** Each resolves when its dependency answers; used by /readyz. */
  readiness: Record<string, () => Promise<unknown>>;
  /** The workers that reported in recently (for /readyz). */
  workers: () => Promise<WorkerStatus[]>;
  /** BullMQ's job counts of the drain queue by state (one drain job per busy session). */
  queueCounts: () => Promise<Record<string, number>>;
  jaegerUiUrl?: string | undefined;
  /** The built web console (apps/console/dist), served at /console. */
  consoleDir?: string | undefined;
  /** Fire-and-forget signals to workers and waiting API processes (Redis pub/sub). */
  signals: { cancel(turnId: string): Promise<unknown>; done(turn: TurnRow): Promise<unknown> };
  /** Seals HTTP tool headers before they are stored; undefined without TURNQ_ENCRYPTION_KEY. */
  secrets?: SecretBox | undefined;
  /** Verified API keys (every /v1 request is authenticated from it). */
  keys: ApiKeyCache;
  /** Rate limits and quotas shared by all API processes (Redis). */
  admission: RequestAdmission;
  /** Backpressure: sessions waiting for a worker (a cached reading), and the bound beyond which submits get 503. */
  backlog: { depth: QueueDepth; max: number };
  /** Jobs for committed webhook deliveries (a cancelled queued turn, a manual redelivery). */
  webhooks: WebhookEnqueuer;
  /** WEBHOOK_ALLOW_PRIVATE: endpoints may be private or loopback addresses. */
  webhookAllowPrivate: boolean;
}

export type AppEnv = { Variables: { body: unknown; caller: Caller } };
