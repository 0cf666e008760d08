import { afterAll, beforeAll, describe, it } from "vitest";
import { checkOrderingUnderLoad } from "../support/ordering-check.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("per-session ordering across two worker processes", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startSystem({ workers: 2, concurrency: 50, simulator: { latencyMs: 20 } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("runs each session's turns one at a time in submission order, each seeing exactly the turns before it", async () => {
    await checkOrderingUnderLoad(sys, { sessions: 100, turns: 10 });
  });
});
