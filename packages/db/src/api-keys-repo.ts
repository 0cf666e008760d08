import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { generateApiKey, newId } from "@turnq/core";
import type { Db } from "./client.ts";
import { apiKeys, tenants, type ApiKeyRow } from "./schema/index.ts";

/** A key as listings show it: never the key, never its hash. */
export type ApiKeyInfo = Pick<ApiKeyRow, "id" | "tenantId" | "prefix" | "createdAt" | "revokedAt">;

const infoColumns = {
  id: apiKeys.id,
  tenantId: apiKeys.tenantId,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

/** Creates a key for the tenant; `key` is returned this once and stored nowhere. */
export async function createApiKey(db: Db, tenantId: string): Promise<ApiKeyInfo & { key: string }> {
  // A prefix is 8 random base62 characters; a collision is astronomically rare, but a retry is cheap.
  for (let tries = 0; ; tries++) {
    const { key, prefix, hash } = generateApiKey();
    const [row] = await db.insert(apiKeys).values({ id: newId("apiKey"), tenantId, prefix, hash }).onConflictDoNothing().returning(infoColumns);
    if (row) return { ...row, key };
    if (tries >= 3) throw new Error("could not create a unique API key prefix");
  }
}

/** The active key with this hash, and its tenant: what the API's key cache is filled from. */
export async function findActiveApiKey(db: Db, hash: string): Promise<{ keyId: string; tenantId: string; weight: number } | undefined> {
  const [row] = await db
    .select({ keyId: apiKeys.id, tenantId: apiKeys.tenantId, weight: tenants.weight })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  return row;
}

/** Revokes the key with this prefix (idempotent); undefined when there is none. */
export async function revokeApiKey(db: Db, prefix: string): Promise<ApiKeyInfo | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.prefix, prefix))
    .returning(infoColumns);
  return row;
}

export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKeyInfo[]> {
  return db.select(infoColumns).from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt));
}
