import { eq } from "drizzle-orm";
import { newId } from "@turnq/core";
import type { Db } from "./client.ts";
import { sessions, type SessionRow } from "./schema/index.ts";

export async function createSession(
  db: Db,
  input: { metadata: Record<string, unknown>; tenantId?: string; agentId?: string | undefined; tokenBudget?: number | undefined },
): Promise<SessionRow> {
  const [row] = await db
    .insert(sessions)
    .values({
      id: newId("session"),
      metadata: input.metadata,
      tenantId: input.tenantId ?? "default",
      agentId: input.agentId ?? null,
      tokenBudget: input.tokenBudget ?? null,
    })
    .returning();
  return row!;
}

export async function getSession(db: Db, id: string): Promise<SessionRow | undefined> {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
  return row;
}
