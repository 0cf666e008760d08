import { afterAll, beforeAll, describe, it } from "vitest";
import { checkWorkerKillMidTurn } from "../support/crash-check.ts";
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
    await checkWorkerKillMidTurn(sys);
  });
});
