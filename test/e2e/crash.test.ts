import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { logProblems, logsBySession } from "../support/log-checks.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("a worker killed with SIGKILL while LLM calls are in flight", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({
      workers: 2,
      concurrency: 50,
      simulator: { latencyMs: 400 },
      // A 10-minute lock: only the dead-worker sweep can hand the victim's sessions back within the
      // test's deadlines. One attempt per turn: a run cut short by the kill must not use it up.
      workerEnv: { LOCK_DURATION_MS: "600000", TURN_MAX_ATTEMPTS: "1" },
    });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("loses no accepted turn and duplicates no message", async () => {
    const base = sys.api.url;
    const sessions = await Promise.all(Array.from({ length: 30 }, () => createSession(base)));
    const accepted: { sessionId: string; id: string; input: string; position: number }[] = [];
    for (let t = 0; t < 4; t++) {
      await Promise.all(
        sessions.map(async (sessionId, s) => {
          const input = `s${s}-t${t}`;
          const r = await post(base, `/v1/sessions/${sessionId}/turns`, { input });
          expect(r.status).toBe(202);
          accepted.push({ sessionId, id: r.body.id as string, input, position: r.body.position as number });
        }),
      );
    }
    // Kill one worker once both are busy with LLM calls.
    await expect.poll(() => sys.sim.inFlight(), { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(20);
    const victim = sys.workers[0]!;
    const inFlightBefore = sys.sim.inFlight();
    await victim.stop("SIGKILL");

    const finished = await Promise.all(accepted.map((t) => waitTurn(base, t.id, 120)));
    expect(finished.filter((t) => t.status !== "completed").map((t) => [t.id, t.status, t.error])).toEqual([]);

    const logs = await logsBySession(sys.db);
    for (const sessionId of sessions) {
      const turns = accepted.filter((t) => t.sessionId === sessionId);
      expect(logProblems(logs.get(sessionId) ?? [], turns), sessionId).toEqual([]);
    }
    // The kill really interrupted work: some turns were taken over from the dead worker, and that
    // cost them a crash, not an attempt.
    const [row] = await sys.db.sql<{ takenOver: number; maxAttempts: number }[]>`
      select count(*) filter (where crashes > 0)::int as "takenOver", max(attempts)::int as "maxAttempts" from turns`;
    expect(inFlightBefore).toBeGreaterThan(0);
    expect(row!.takenOver).toBeGreaterThan(0);
    expect(row!.maxAttempts).toBe(1);
  });
});
