import { and, eq } from "drizzle-orm";
import { newId } from "@turnq/core";
import type { Db } from "./client.ts";
import { sessions, type SessionRow } from "./schema/index.ts";

export async function createSession(
  db: Db,
  input: { metadata: Record<string, unknown>; tenantId: string; agentId?: string | undefined; tokenBudget?: number | undefined },
): Promise<SessionRow> {
  const [row] = await db
    .insert(sessions)
    .values({
      id: newId("session"),
      metadata: input.metadata,
      tenantId: input.tenantId,
      agentId: input.agentId ?? null,
      tokenBudget: input.tokenBudget ?? null,
    })
    .returning();
  return row!;
}

/** The session, when it exists and belongs to the tenant (another tenant's reads as missing: same query). */
export async function getSession(db: Db, id: string, tenantId: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(sessions).where(and(eq(sessions.id, id), eq(sessions.tenantId, tenantId)));
  return row;
}
