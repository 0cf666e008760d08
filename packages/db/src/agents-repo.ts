import { and, desc, eq, lt, sql } from "drizzle-orm";
import { newId, TurnqError } from "@turnq/core";
import type { Db } from "./client.ts";
import { agents, type AgentConfig, type AgentRow } from "./schema/index.ts";

export async function createAgent(db: Db, input: { tenantId: string; name: string; config: AgentConfig }): Promise<AgentRow> {
  const [row] = await db
    .insert(agents)
    .values({ id: newId("agent"), version: 1, tenantId: input.tenantId, name: input.name, config: input.config })
    .returning();
  return row!;
}

/**
 * Adds the next version. Versions are never changed in place, so a past turn's agent can always be
 * read back exactly. The insert is retried when two updates race for the same version number.
 */
export async function addAgentVersion(db: Db, id: string, input: { tenantId: string; name: string; config: AgentConfig }): Promise<AgentRow> {
  for (let tries = 0; ; tries++) {
    const latest = await getAgent(db, id, { tenantId: input.tenantId });
    if (!latest) throw new TurnqError("not_found", `Agent ${id} does not exist; create it with POST /v1/agents.`);
    const [row] = await db
      .insert(agents)
      .values({ id, version: latest.version + 1, tenantId: input.tenantId, name: input.name, config: input.config })
      .onConflictDoNothing()
      .returning();
    if (row) return row;
    if (tries >= 5) throw new TurnqError("internal", "Could not add an agent version under contention; retry.");
  }
}

/**
 * The given version, or the latest when `version` is omitted; given a tenant, only that tenant's
 * (the API always passes one; the worker reads the agent its session names).
 */
export async function getAgent(db: Db, id: string, opts: { tenantId?: string | undefined; version?: number | undefined } = {}): Promise<AgentRow | undefined> {
  const bounds = [eq(agents.id, id)];
  if (opts.tenantId !== undefined) bounds.push(eq(agents.tenantId, opts.tenantId));
  if (opts.version !== undefined) bounds.push(eq(agents.version, opts.version));
  const [row] = await db.select().from(agents).where(and(...bounds)).orderBy(desc(agents.version)).limit(1);
  return row;
}

export async function agentExists(db: Db, id: string, tenantId: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(agents)
    .where(and(eq(agents.id, id), eq(agents.tenantId, tenantId)))
    .limit(1);
  return row !== undefined;
}

/** The latest version of each agent, newest agent first, after the keyset cursor `before` (an agent id). */
export async function listAgents(db: Db, opts: { tenantId: string; before?: string | undefined; limit: number }): Promise<AgentRow[]> {
  return db
    .selectDistinctOn([agents.id])
    .from(agents)
    .where(and(eq(agents.tenantId, opts.tenantId), opts.before ? lt(agents.id, opts.before) : undefined))
    .orderBy(desc(agents.id), desc(agents.version))
    .limit(opts.limit);
}

/** Every version of one agent of the tenant's, newest first (none: another tenant's or unknown). */
export async function agentVersions(db: Db, id: string, tenantId: string): Promise<AgentRow[]> {
  return db.select().from(agents).where(and(eq(agents.id, id), eq(agents.tenantId, tenantId))).orderBy(desc(agents.version));
}
