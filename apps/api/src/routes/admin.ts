import { apiKeyPrefixPattern, TurnqError } from "@turnq/core";
import { createApiKey, createTenant, getTenantByName, listApiKeys, listTenants, revokeApiKey, type ApiKeyInfo, type Db, type TenantRow } from "@turnq/db";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { operatorKey } from "../middleware/operator-key.ts";
import { validate } from "../validate.ts";

export interface AdminDeps {
  db: Db;
  /** TURNQ_ADMIN_KEY; the admin API is not served without one. */
  adminKey: string;
  /** Tells every API process (Redis pub/sub) that a key is revoked. */
  publishRevoked(keyId: string): Promise<unknown>;
}

const createTenantBody = z.object({ name: z.string(), weight: z.number().int().min(1).max(1_000).optional() }).strict();

export const tenantJson = (t: TenantRow) => ({ id: t.id, name: t.name, weight: t.weight, createdAt: t.createdAt.toISOString() });
export const keyJson = (k: ApiKeyInfo) => ({
  id: k.id,
  tenantId: k.tenantId,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

/**
 * The operators' API, the same operations as `npm run turnq -- …` (apps/admin): tenants, their keys,
 * revocation. A created key is in the answer to its POST and nowhere else, ever.
 */
export function adminRoutes(deps: AdminDeps) {
  const tenantByName = async (name: string) => {
    const tenant = await getTenantByName(deps.db, name);
    if (!tenant) throw new TurnqError("not_found", `Tenant ${name} does not exist; create it with POST /admin/v1/tenants.`);
    return tenant;
  };
  return new Hono<AppEnv>()
    .use("/admin/v1/*", operatorKey(deps.adminKey))
    .post("/admin/v1/tenants", jsonBody(4_096), async (c) => {
      const body = validate(createTenantBody, c.get("body"));
      return c.json(tenantJson(await createTenant(deps.db, body)), 201);
    })
    .get("/admin/v1/tenants", async (c) => c.json({ data: (await listTenants(deps.db)).map(tenantJson) }))
    .post("/admin/v1/tenants/:name/keys", async (c) => {
      const tenant = await tenantByName(c.req.param("name"));
      const created = await createApiKey(deps.db, tenant.id);
      c.header("cache-control", "no-store");
      return c.json({ ...keyJson(created), key: created.key }, 201);
    })
    .get("/admin/v1/tenants/:name/keys", async (c) => {
      const tenant = await tenantByName(c.req.param("name"));
      return c.json({ data: (await listApiKeys(deps.db, tenant.id)).map(keyJson) });
    })
    .post("/admin/v1/keys/:prefix/revoke", async (c) => {
      const prefix = c.req.param("prefix");
      const key = apiKeyPrefixPattern.test(prefix) ? await revokeApiKey(deps.db, prefix) : undefined;
      if (!key) throw new TurnqError("not_found", `No key has the prefix ${prefix}; list keys with GET /admin/v1/tenants/{name}/keys.`);
      // Committed: every API process refuses the key at its next re-check even if this message is
      // lost (their subscriptions fail with the same Redis, and then they re-check every second).
      await deps.publishRevoked(key.id).catch(() => undefined);
      return c.json(keyJson(key));
    });
}
