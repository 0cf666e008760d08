import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, post, waitTurn } from "../support/http.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("fairness between sessions when every slot is taken", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // One slot: a chatty session holds it, so it must hand it back after each slice of turns.
    sys = await startSystem({ workers: 1, concurrency: 1, workerEnv: { TURNS_PER_SLICE: "2" } });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("runs another session's turn before a chatty session's backlog is done", async () => {
    const base = sys.api.url;
    const chatty = await createSession(base);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await post(base, `/v1/sessions/${chatty}/turns`, { input: `chat ${i} [[sim delay=100]]` })).body.id);
    const other = await createSession(base);
    const lone = (await post(base, `/v1/sessions/${other}/turns`, { input: "me too" })).body.id as string;

    const loneDone = await waitTurn(base, lone, 60);
    const chattyDone = await Promise.all(ids.map((id) => waitTurn(base, id, 60)));
    expect([loneDone, ...chattyDone].every((t) => t.status === "completed")).toBe(true);
    // The lone turn did not wait for the whole backlog (10 x 100 ms) to drain.
    const finishedBefore = chattyDone.filter((t) => t.finishedAt > loneDone.finishedAt).length;
    expect(finishedBefore).toBeGreaterThanOrEqual(4);
  });
});
