import { randomBytes } from "node:crypto";
import { createApiKey, createSession, createTenant, type Db, type SessionRow } from "@turnq/db";
import { useApiKey } from "./http.ts";

const tenantOf = new WeakMap<Db, Promise<string>>();

/** One tenant per database handle, for tests that work below the API (sessions, turns, agents need one). */
export function testTenantId(db: Db): Promise<string> {
  let id = tenantOf.get(db);
  if (!id) tenantOf.set(db, (id = createTenant(db, { name: `test-${randomBytes(4).toString("hex")}` }).then((t) => t.id)));
  return id;
}

/** A session of the test tenant, as POST /v1/sessions would store it. */
export async function createTestSession(db: Db, input: Omit<Parameters<typeof createSession>[1], "tenantId"> = { metadata: {} }): Promise<SessionRow> {
  return createSession(db, { ...input, tenantId: await testTenantId(db) });
}

/** A new tenant with one key: what an operator hands a customer. */
export async function createTenantWithKey(db: Db, name = `t-${randomBytes(4).toString("hex")}`) {
  const tenant = await createTenant(db, { name });
  const key = await createApiKey(db, tenant.id);
  return { tenant, key: key.key, keyId: key.id, prefix: key.prefix, headers: { authorization: `Bearer ${key.key}` } };
}

/** For a test that starts its own API: a tenant and key, sent by default to that API from now on. */
export async function keyForApi(db: Db, apiUrl: string) {
  const tenant = await createTenantWithKey(db);
  useApiKey(apiUrl, tenant.key);
  return tenant;
}
