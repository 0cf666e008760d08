import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, useApiKey } from "../support/http.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { startSystem, type TestSystem } from "../support/system.ts";
import { tableSnapshot } from "../support/table-snapshot.ts";

const ADMIN_KEY = randomBytes(32).toString("base64");
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const unknownKey = `tq_live_${"A".repeat(40)}`;

/**
 * Runs the admin CLI (npm run turnq -- …) against the test's database and Redis prefix. Not
 * spawnSync: the API under test runs in this process and must keep answering meanwhile.
 */
function turnq(sys: TestSystem, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["apps/admin/src/main.ts", ...args],
      { env: { PATH: process.env.PATH ?? "", DATABASE_URL: sys.db.url, REDIS_URL: sys.redisUrl, TURNQ_PREFIX: sys.prefix }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout.trim(), err: stderr.trim() }),
    );
  });
}

/** Polls with the key until the API refuses it; the milliseconds that took. */
async function msUntilRefused(base: string, key: string, since: number): Promise<number> {
  for (;;) {
    const r = await get(base, "/v1/sessions/ses_00000000000000000000000000", { authorization: `Bearer ${key}` });
    if (r.status === 401) return Date.now() - since;
    expect(r.status).toBe(404);
    if (Date.now() - since > 10_000) throw new Error("the revoked key was still accepted after 10 s");
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe("API keys", () => {
  let sys: TestSystem;
  let second: AppProcess;
  let secondUrl: string;
  let sessionId: string;
  beforeAll(async () => {
    sys = await startSystem({ workers: 0, apiEnv: { TURNQ_ADMIN_KEY: ADMIN_KEY } });
    // A second API process on the same database and Redis, as a deployment runs several.
    second = startProcess("api-2", "apps/api/src/main.ts", {
      DATABASE_URL: sys.db.url,
      REDIS_URL: sys.redisUrl,
      TURNQ_PREFIX: sys.prefix,
      PORT: "0",
      DB_POOL_MAX: "2",
      OTEL_SERVICE_NAME: "turnq-api",
    }, TELEMETRY_ARGS);
    secondUrl = JSON.parse(await second.waitForLine(/turnq api listening/, 150_000)).url as string;
    useApiKey(secondUrl, sys.tenant.key);
    sessionId = await createSession(sys.api.url);
  }, 200_000);
  afterAll(async () => {
    await second?.stop("SIGKILL");
    await sys?.stop();
  });

  const refusals = [
    { name: "no Authorization header", headers: {} as Record<string, string> },
    { name: "another scheme", headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` } },
    { name: "a Bearer with no key", headers: { authorization: "Bearer " } },
    { name: "a malformed key", headers: { authorization: "Bearer tq_live_short" } },
    { name: "a well-formed key nobody issued", headers: { authorization: `Bearer ${unknownKey}` } },
  ];

  it.each(refusals)("refuses $name with 401 problem+json and WWW-Authenticate, storing nothing", async ({ headers }) => {
    const before = await tableSnapshot(sys.db);
    for (const res of [
      await raw("POST", `${sys.api.url}/v1/sessions`, "{}", headers),
      await raw("POST", `${sys.api.url}/v1/sessions/${sessionId}/turns`, '{"input":"hi"}', headers),
      await raw("GET", `${sys.api.url}/v1/sessions/${sessionId}/messages`, undefined, headers),
    ]) {
      expect(res.status, res.text).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="turnq"');
      expect(JSON.parse(res.text)).toMatchObject({ status: 401, code: "unauthorized", type: "urn:turnq:error:unauthorized" });
    }
    expect(await tableSnapshot(sys.db)).toEqual(before);
  });

  it("leaves the probes and the metrics open", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics"]) expect((await raw("GET", sys.api.url + path, undefined, {})).status, path).toBe(200);
  });

  it("refuses a revoked key on every API process within a second (admin API)", async () => {
    const created = await post(sys.api.url, `/admin/v1/tenants/test/keys`, "", admin);
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    // Both processes have verified (and cached) the key.
    for (const base of [sys.api.url, secondUrl]) expect((await post(base, "/v1/sessions", {}, { authorization: `Bearer ${key}` })).status).toBe(201);
    const revoked = await post(sys.api.url, `/admin/v1/keys/${created.body.prefix}/revoke`, "", admin);
    const at = Date.now();
    expect(revoked.status).toBe(200);
    const before = await tableSnapshot(sys.db);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect(await msUntilRefused(secondUrl, key, at)).toBeLessThan(1_000);
    expect(await msUntilRefused(sys.api.url, key, at)).toBeLessThan(1_000);
    const refused = await raw("POST", `${secondUrl}/v1/sessions`, "{}", { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(401);
    expect(await tableSnapshot(sys.db)).toEqual(before);
  });

  it("runs the admin API only with the operator key, and never shows a key again after creating it", async () => {
    const wrong: Record<string, string>[] = [{}, { authorization: `Bearer ${sys.tenant.key}` }, { authorization: `Bearer ${ADMIN_KEY}x` }];
    for (const headers of wrong) {
      const res = await raw("GET", `${sys.api.url}/admin/v1/tenants`, undefined, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="turnq"');
    }
    const tenant = await post(sys.api.url, "/admin/v1/tenants", { name: "acme", weight: 3 }, admin);
    expect(tenant.status).toBe(201);
    expect(tenant.body).toMatchObject({ name: "acme", weight: 3 });
    expect(tenant.body.id).toMatch(/^ten_/);
    expect((await post(sys.api.url, "/admin/v1/tenants", { name: "acme" }, admin)).status).toBe(422);
    const key = await post(sys.api.url, "/admin/v1/tenants/acme/keys", "", admin);
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^tq_live_[0-9A-Za-z]{40}$/);
    expect(key.body.key.startsWith(key.body.prefix)).toBe(true);
    const listed = await get(sys.api.url, "/admin/v1/tenants/acme/keys", admin);
    expect(listed.body.data).toEqual([{ id: key.body.id, tenantId: tenant.body.id, prefix: key.body.prefix, createdAt: key.body.createdAt, revokedAt: null }]);
    const tenants = await get(sys.api.url, "/admin/v1/tenants", admin);
    expect(tenants.body.data.map((t: { name: string }) => t.name)).toEqual(["test", "acme"]);
    // Only the hash and the prefix are stored.
    const [row] = await sys.db.sql`select row_to_json(k)::text as j from api_keys k where id = ${key.body.id}`;
    expect(String(row!["j"])).not.toContain(key.body.key.slice(key.body.prefix.length));
    // The new key works, for its own tenant only.
    const session = await post(sys.api.url, "/v1/sessions", {}, { authorization: `Bearer ${key.body.key}` });
    expect(session.status).toBe(201);
    expect((await get(sys.api.url, `/v1/sessions/${session.body.id}`)).status).toBe(404);
    expect((await post(sys.api.url, "/admin/v1/tenants/nobody/keys", "", admin)).status).toBe(404);
    expect((await post(sys.api.url, "/admin/v1/keys/tq_live_00000000/revoke", "", admin)).status).toBe(404);
  });

  it("administers tenants and keys from the command line, and a revocation there reaches running APIs within a second", { timeout: 400_000 }, async () => {
    const created = await turnq(sys, "tenants", "create", "globex");
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^ten_\w+\tglobex\tweight 1$/);
    expect(await turnq(sys, "tenants", "create", "globex")).toMatchObject({ code: 1, err: expect.stringContaining("already exists") });
    const made = await turnq(sys, "keys", "create", "--tenant", "globex");
    expect(made.code, made.err).toBe(0);
    const key = made.out;
    expect(key).toMatch(/^tq_live_[0-9A-Za-z]{40}$/);
    const prefix = key.slice(0, 16);
    const listed = await turnq(sys, "keys", "list", "--tenant", "globex");
    expect(listed.out).toContain(`${prefix}\t`);
    expect(listed.out).toContain("active");
    expect(listed.out).not.toContain(key.slice(16));
    for (const base of [sys.api.url, secondUrl]) expect((await post(base, "/v1/sessions", {}, { authorization: `Bearer ${key}` })).status).toBe(201);

    const revoked = await turnq(sys, "keys", "revoke", prefix);
    const at = Date.now();
    expect(revoked.code, revoked.err).toBe(0);
    expect(await msUntilRefused(secondUrl, key, at)).toBeLessThan(1_000);
    expect(await msUntilRefused(sys.api.url, key, at)).toBeLessThan(1_000);
    expect((await turnq(sys, "keys", "list", "--tenant", "globex")).out).toContain("revoked");
  });
});

async function raw(method: string, url: string, body: string | undefined, headers: Record<string, string>) {
  const res = await fetch(url, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
