import type { Db, TurnRow } from "@turnq/db";
import type { EventReader, Mailbox, TurnWatcher, WorkerStatus } from "@turnq/queue";
import type { Logger } from "pino";

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
}

export type AppEnv = { Variables: { body: unknown } };
