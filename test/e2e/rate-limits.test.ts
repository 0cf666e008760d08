import { randomBytes } from "node:crypto";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { createDb, type DbHandle } from "@turnq/db";
import { keySpace, shardOf } from "@turnq/queue";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, get, post, useApiKey } from "../support/http.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { redisUrl } from "../support/services.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/** Limits shared by API processes through Redis; a refused request stores nothing. */
describe("limits and admission", () => {
  let db: TestDatabase;
  let pg: DbHandle;
  const prefixes: string[] = [];
  const newPrefix = () => prefixes[prefixes.push(`rl${randomBytes(4).toString("hex")}`) - 1]!;
  beforeAll(async () => {
    db = await createTestDatabase();
    pg = createDb(db.url, { max: 2 });
  });
  afterAll(async () => {
    await pg?.close();
    await db?.drop();
    for (const p of prefixes) await deleteKeys(redisUrl(), p).catch(() => 0);
  });
  const sessionCount = async () => (await pg.sql<{ n: number }[]>`select count(*)::int as n from sessions`)[0]!.n;
  const turnCount = async (sessionId: string) =>
    (await pg.sql<{ n: number }[]>`select count(*)::int as n from turns where session_id = ${sessionId}`)[0]!.n;

  describe("a bucket of 60 shared by two API processes", () => {
    const apis: AppProcess[] = [];
    const urls: string[] = [];
    beforeAll(async () => {
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl(),
        TURNQ_PREFIX: newPrefix(),
        OTEL_SERVICE_NAME: "turnq-api",
        PORT: "0",
        DB_POOL_MAX: "4",
        // 60 requests, refilled at one an hour: the test's requests see a bucket of exactly 60.
        RATE_LIMIT_KEY_BURST: "60",
        RATE_LIMIT_KEY_PER_SECOND: "0.0003",
      };
      for (const name of ["api-1", "api-2"]) apis.push(startProcess(name, "apps/api/src/main.ts", env, TELEMETRY_ARGS));
      for (const a of apis) urls.push(JSON.parse(await a.waitForLine(/turnq api listening/, 90_000)).url as string);
      // One key, sent to both processes: its bucket is the one they share.
      const tenant = await keyForApi(pg.db, urls[0]!);
      useApiKey(urls[1]!, tenant.key);
    });
    afterAll(async () => {
      await Promise.all(apis.map((a) => a.stop("SIGKILL")));
    });

    it("admits exactly 60 of 200 concurrent requests, and the 429s carry the headers and store nothing", async () => {
      const before = await sessionCount();
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(urls[i % 2]!, "/v1/sessions", {})));
      const created = answers.filter((a) => a.status === 201);
      const refused = answers.filter((a) => a.status === 429);
      expect(created).toHaveLength(60);
      expect(refused).toHaveLength(140);
      expect(await sessionCount()).toBe(before + 60);
      for (const r of refused) {
        expect(r.headers.get("content-type")).toBe("application/problem+json");
        expect(r.body).toMatchObject({ status: 429, code: "rate_limited" });
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(r.headers.get("ratelimit-policy")).toMatch(/^"key";q=60;w=\d+, "tenant";q=\d+;w=\d+$/);
        expect(r.headers.get("ratelimit")).toMatch(/^"key";r=0;t=\d+$/);
      }
      // Admitted answers say what is left.
      const left = created.map((a) => Number(/;r=(\d+);/.exec(a.headers.get("ratelimit") ?? "")?.[1])).sort((a, b) => a - b);
      expect(left).toEqual(Array.from({ length: 60 }, (_, i) => i));
      // Probes and scrapes are not rate limited.
      expect((await get(urls[0]!, "/healthz")).status).toBe(200);
    });
  });

  describe("quotas on queued work (no workers: submitted turns stay queued)", () => {
    let api: RunningApi | undefined;
    afterAll(async () => {
      await api?.close();
    });
    const start = async (extra: Record<string, string>) => {
      await api?.close();
      api = await startApi(
        apiEnvSchema.parse({ DATABASE_URL: db.url, REDIS_URL: redisUrl(), TURNQ_PREFIX: newPrefix(), PORT: "0", DB_POOL_MAX: "4", ...extra }),
        pino({ level: "warn" }),
      );
      await keyForApi(pg.db, api.url);
      return api.url;
    };

    it("refuses a session's turn beyond SESSION_MAX_QUEUED_TURNS and a tenant's session beyond TENANT_MAX_BUSY_SESSIONS", async () => {
      const url = await start({ SESSION_MAX_QUEUED_TURNS: "2", TENANT_MAX_BUSY_SESSIONS: "2" });
      const [s1, s2, s3] = [await createSession(url), await createSession(url), await createSession(url)];
      expect((await post(url, `/v1/sessions/${s1}/turns`, { input: "one" })).status).toBe(202);
      expect((await post(url, `/v1/sessions/${s1}/turns`, { input: "two" })).status).toBe(202);
      const full = await post(url, `/v1/sessions/${s1}/turns`, { input: "three" });
      expect(full.status).toBe(429);
      expect(full.body).toMatchObject({ code: "session_queue_full" });
      expect(full.headers.get("retry-after")).toBe("1");
      expect(await turnCount(s1)).toBe(2);
      expect((await post(url, `/v1/sessions/${s2}/turns`, { input: "one" })).status).toBe(202);
      const busy = await post(url, `/v1/sessions/${s3}/turns`, { input: "one" });
      expect(busy.status).toBe(429);
      expect(busy.body).toMatchObject({ code: "tenant_sessions_limit" });
      expect(await turnCount(s3)).toBe(0);
    });

    it("checks the same quotas on the sharded layout (QUEUE_SHARDS=3): busy sessions per shard against ceil(limit / 3)", async () => {
      const url = await start({ QUEUE_SHARDS: "3", SESSION_MAX_QUEUED_TURNS: "2", TENANT_MAX_BUSY_SESSIONS: "3" });
      const space = keySpace("any", { shards: 3 });
      // Two sessions on one shard and one on another (a session's shard depends on its id only).
      const s1 = await createSession(url);
      let s2 = "";
      let s3 = "";
      while (!s2 || !s3) {
        const s = await createSession(url);
        if (shardOf(space, s) === shardOf(space, s1)) s2 ||= s;
        else s3 ||= s;
      }
      expect((await post(url, `/v1/sessions/${s1}/turns`, { input: "one" })).status).toBe(202);
      expect((await post(url, `/v1/sessions/${s1}/turns`, { input: "two" })).status).toBe(202);
      const full = await post(url, `/v1/sessions/${s1}/turns`, { input: "three" });
      expect(full.body).toMatchObject({ code: "session_queue_full" });
      expect(full.headers.get("ratelimit")).toMatch(/^"(key|tenant)";r=\d+;t=\d+$/);
      expect(await turnCount(s1)).toBe(2);
      // s1's shard holds the tenant's 1 busy session it may have there; another shard still admits.
      const busy = await post(url, `/v1/sessions/${s2}/turns`, { input: "one" });
      expect(busy.status).toBe(429);
      expect(busy.body).toMatchObject({ code: "tenant_sessions_limit" });
      expect(await turnCount(s2)).toBe(0);
      expect((await post(url, `/v1/sessions/${s3}/turns`, { input: "one" })).status).toBe(202);
    });

    it("answers 503 queue_full once more sessions wait than QUEUE_MAX_WAITING_SESSIONS, and /readyz says so", async () => {
      const url = await start({ QUEUE_MAX_WAITING_SESSIONS: "2" });
      const sessions = await Promise.all(Array.from({ length: 5 }, () => createSession(url)));
      for (const s of sessions.slice(0, 3)) expect((await post(url, `/v1/sessions/${s}/turns`, { input: "wait" })).status).toBe(202);
      // The depth is read at most every 150 ms per process, never on the request's path: a probe
      // session's submits may pass until the next reading.
      const [probe, last] = [sessions[3]!, sessions[4]!];
      await expect.poll(async () => (await post(url, `/v1/sessions/${probe}/turns`, { input: "x" })).status, { timeout: 10_000, interval: 100 }).toBe(503);
      const refused = await post(url, `/v1/sessions/${last}/turns`, { input: "x" });
      expect(refused.body).toMatchObject({ code: "queue_full" });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await turnCount(last)).toBe(0);
      const ready = await get(url, "/readyz");
      expect(ready.status).toBe(200);
      expect(ready.body.queue).toMatchObject({ bound: 2, full: true });
      expect(ready.body.queue.waitingSessions).toBeGreaterThanOrEqual(3);
    });
  });
});
