import { integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { tenants } from "./tenants.ts";

/** What an agent version holds; validated at the API edge, read by the worker. */
export interface AgentConfig {
  model: string;
  systemPrompt: string;
  /** Names of code tools registered in the worker, e.g. "current_time", "http_get". */
  tools: string[];
  /** HTTP tools declared here; their headers may hold secrets and are never returned by the API. */
  httpTools: {
    name: string;
    description: string;
    url: string;
    parameters: Record<string, unknown>;
    /** The header names, for display; their values only in `sealedHeaders`. */
    headerNames?: string[];
    /** The headers as JSON, sealed with TURNQ_ENCRYPTION_KEY (AES-256-GCM, packages/core secret-box.ts). */
    sealedHeaders?: string;
    /** Headers in the clear: only agents stored before encryption at rest have these. */
    headers?: Record<string, string>;
    timeoutMs?: number;
    parallelSafe?: boolean;
    idempotent?: boolean;
  }[];
  limits: { maxIterations: number; maxToolCalls: number; turnDeadlineMs: number; maxOutputTokens?: number | undefined };
  /** Model used to summarise older history; defaults to `model`. */
  summaryModel?: string | undefined;
}

/** Agents are versioned: an update adds a version, so past turns keep pointing at what they used. */
export const agents = pgTable(
  "agents",
  {
    id: text().notNull(),
    version: integer().notNull(),
    /** Every version of an agent belongs to the tenant that created it. */
    tenantId: text()
      .notNull()
      .references(() => tenants.id),
    name: text().notNull(),
    config: jsonb().$type<AgentConfig>().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] })],
);

export type AgentRow = typeof agents.$inferSelect;
