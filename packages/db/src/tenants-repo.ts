import { asc, eq } from "drizzle-orm";
import { newId, TurnqError } from "@turnq/core";
import type { Db } from "./client.ts";
import { tenants, type TenantRow } from "./schema/index.ts";

/** Tenant names: what operators type; kept to a safe, URL- and shell-friendly alphabet. */
export const tenantNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export async function createTenant(db: Db, input: { name: string; weight?: number | undefined }): Promise<TenantRow> {
  if (!tenantNamePattern.test(input.name)) {
    throw new TurnqError("validation_failed", `Tenant name "${input.name}" is not allowed: use 1-63 of a-z, 0-9, ".", "_", "-", starting with a letter or digit.`);
  }
  const [row] = await db
    .insert(tenants)
    .values({ id: newId("tenant"), name: input.name, weight: input.weight ?? 1 })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new TurnqError("validation_failed", `A tenant named "${input.name}" already exists; pick another name.`);
  return row;
}

export async function getTenantByName(db: Db, name: string): Promise<TenantRow | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.name, name));
  return row;
}

export async function listTenants(db: Db): Promise<TenantRow[]> {
  return db.select().from(tenants).orderBy(asc(tenants.createdAt));
}
