import { expect } from "vitest";
import { createSession, post, waitTurn } from "./http.ts";
import { logProblems, logsBySession } from "./log-checks.ts";
import type { TestSystem } from "./system.ts";

/**
 * The crash check shared by test/e2e/crash.test.ts (one Redis) and redis-cluster.test.ts: 30
 * sessions submit 4 turns each, the first worker is SIGKILLed once 20 LLM calls are in flight, and
 * then every turn must complete exactly once in effect (logs right, no duplicate message), some
 * having been taken over from the dead worker at the cost of a crash, not an attempt. The system
 * needs two workers with a long LOCK_DURATION_MS and TURN_MAX_ATTEMPTS=1 (see crash.test.ts).
 */
export async function checkWorkerKillMidTurn(sys: TestSystem): Promise<void> {
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
}
