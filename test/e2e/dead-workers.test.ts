import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { logProblems, logsBySession } from "../support/log-checks.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

async function submitAll(base: string, sessions: string[], turns: number, input: (s: number, t: number) => string) {
  const accepted: { sessionId: string; id: string; input: string; position: number }[] = [];
  for (let t = 0; t < turns; t++) {
    await Promise.all(
      sessions.map(async (sessionId, s) => {
        const r = await post(base, `/v1/sessions/${sessionId}/turns`, { input: input(s, t) });
        expect(r.status).toBe(202);
        accepted.push({ sessionId, id: r.body.id as string, input: input(s, t), position: r.body.position as number });
      }),
    );
  }
  return accepted;
}

describe("a worker that is alive but frozen (SIGSTOP) while its turns are in flight", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // The production lock (30 s): a freeze shorter than that must not cost the worker its sessions,
    // although the other worker's dead-worker sweep runs every 500 ms throughout.
    sys = await startSystem({
      workers: 2,
      concurrency: 50,
      simulator: { latencyMs: 1_500 },
      workerEnv: { LOCK_DURATION_MS: "30000", STALLED_INTERVAL_MS: "500", DEAD_WORKER_SWEEP_MS: "500" },
    });
  });
  afterAll(async () => {
    sys?.workers[0]?.child.kill("SIGCONT");
    await sys?.stop();
  });

  it("keeps its sessions: nothing is taken over, every turn completes once", async () => {
    const base = sys.api.url;
    const sessions = await Promise.all(Array.from({ length: 20 }, () => createSession(base)));
    const accepted = await submitAll(base, sessions, 2, (s, t) => `frozen s${s}-t${t}`);
    await expect.poll(() => sys.sim.inFlight(), { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(10);
    const frozen = sys.workers[0]!;
    frozen.child.kill("SIGSTOP");
    // Long enough for many sweeps of the other worker (and far past its 500 ms grace), shorter than the lock.
    await new Promise((r) => setTimeout(r, 6_000));
    frozen.child.kill("SIGCONT");

    const finished = await Promise.all(accepted.map((t) => waitTurn(base, t.id, 120)));
    expect(finished.filter((t) => t.status !== "completed").map((t) => [t.id, t.status, t.error])).toEqual([]);
    const logs = await logsBySession(sys.db);
    for (const sessionId of sessions) {
      expect(logProblems(logs.get(sessionId) ?? [], accepted.filter((t) => t.sessionId === sessionId)), sessionId).toEqual([]);
    }
    const [row] = await sys.db.sql<{ takenOver: number }[]>`select count(*) filter (where crashes > 0)::int as "takenOver" from turns`;
    expect(row!.takenOver).toBe(0);
    expect(sys.workers[1]!.output()).not.toMatch(/released the sessions of dead workers/);
  });
});

describe("a poison turn that kills every worker that runs it", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({
      workers: 1,
      concurrency: 20,
      simulator: { latencyMs: 800 },
      workerEnv: { TURN_MAX_CRASHES: "2", TURN_MAX_ATTEMPTS: "1", LOCK_DURATION_MS: "600000" },
    });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("fails after TURN_MAX_CRASHES takeovers without using its attempts, and the session moves on", async () => {
    const base = sys.api.url;
    const sessionId = await createSession(base);
    const poison = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "poison" });
    const after = await post(base, `/v1/sessions/${sessionId}/turns`, { input: "after the poison" });

    // Whenever the poison turn reaches the model its worker dies (as if the turn crashed it) and a
    // fresh one starts: the first run and TURN_MAX_CRASHES takeovers, 3 kills, then the claim fails it.
    const poisonCalls = () => sys.sim.requests.filter((r) => (r.messages as { content?: unknown }[]).at(-1)?.content === "poison").length;
    for (let kills = 0; kills < 3; kills++) {
      await expect.poll(poisonCalls, { timeout: 60_000, interval: 20 }).toBeGreaterThan(kills);
      await sys.workers.at(-1)!.stop("SIGKILL");
      await sys.startWorker();
    }

    const failed = await waitTurn(base, poison.body.id, 60);
    expect(failed).toMatchObject({ status: "failed", attempts: 1, crashes: 3, error: { code: "turn_attempts_exhausted" } });
    expect(failed.error.message).toMatch(/^Gave up after workers died 3 times while running this turn/);
    // The session moves on; the failed turn left nothing in the log.
    const next = await waitTurn(base, after.body.id, 60);
    expect(next).toMatchObject({ status: "completed", crashes: 0, output: "Echo: after the poison (saw 2 messages)" });
    expect(poisonCalls()).toBe(3);
  });
});
