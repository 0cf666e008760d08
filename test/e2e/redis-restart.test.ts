import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { logProblems, logsBySession } from "../support/log-checks.ts";
import { startOwnRedis, type OwnRedis } from "../support/redis-server.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a Redis restart that loses everything", () => {
  let redis: OwnRedis;
  let sys: TestSystem;
  beforeAll(async () => {
    redis = await startOwnRedis();
    sys = await startSystem({ workers: 1, concurrency: 20, redisUrl: redis.url, simulator: { latencyMs: 500 } });
  });
  afterAll(async () => {
    await sys?.stop();
    await redis?.stop();
  });

  it("still completes every turn accepted before it, once each", async () => {
    const base = sys.api.url;
    const sessions = await Promise.all(Array.from({ length: 20 }, () => createSession(base)));
    const accepted: { sessionId: string; id: string; input: string; position: number }[] = [];
    for (let t = 0; t < 3; t++) {
      await Promise.all(
        sessions.map(async (sessionId, s) => {
          const input = `s${s}-t${t}`;
          const r = await post(base, `/v1/sessions/${sessionId}/turns`, { input });
          expect(r.status).toBe(202);
          accepted.push({ sessionId, id: r.body.id, input, position: r.body.position });
        }),
      );
    }
    await expect.poll(() => sys.sim.inFlight(), { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
    await redis.kill();
    // The crash really lost accepted work: turns were still pending when Redis lost everything.
    // (Counted while Redis is down: on a slow machine the restart itself takes long enough for
    // running sessions to finish their turns from Postgres.)
    const [row] = await sys.db.sql<{ pending: number }[]>`
      select count(*)::int as pending from turns where status in ('queued', 'running')`;
    expect(row!.pending).toBeGreaterThan(10);
    await redis.start();

    const finished = await Promise.all(accepted.map((t) => waitTurn(base, t.id, 90)));
    expect(finished.filter((t) => t.status !== "completed").map((t) => [t.id, t.status, t.error])).toEqual([]);
    const logs = await logsBySession(sys.db);
    for (const sessionId of sessions) {
      expect(logProblems(logs.get(sessionId) ?? [], accepted.filter((t) => t.sessionId === sessionId)), sessionId).toEqual([]);
    }
  });
});
