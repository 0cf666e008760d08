import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimNextTurn, settleFailedTurn, submitTurn } from "../src/index.ts";
import { completeTurn } from "../../../test/support/complete-turn.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createTestSession, testTenantId } from "../../../test/support/tenants.ts";

describe("the message log", () => {
  let db: TestDatabase;
  let sessionId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    sessionId = (await createTestSession(db.db)).id;
    const { turn } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "hi", requestHash: "h" });
    const claim = await claimNextTurn(db.db, sessionId, { maxAttempts: 3, maxCrashes: 3 });
    if (claim.kind !== "claimed") throw new Error("expected a claim");
    await completeTurn(db.db, {
      turnId: turn.id,
      lease: claim.turn.lease,
      output: "hello",
      messages: [
        { role: "user", content: { text: "hi" } },
        { role: "assistant", content: { text: "hello" } },
      ],
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses UPDATE", async () => {
    await expect(db.sql`update messages set content = '{"text":"changed"}' where session_id = ${sessionId}`).rejects.toThrow(/append-only/);
  });

  it("refuses DELETE", async () => {
    await expect(db.sql`delete from messages where session_id = ${sessionId}`).rejects.toThrow(/append-only/);
  });

  it("refuses TRUNCATE", async () => {
    await expect(db.sql`truncate messages`).rejects.toThrow(/append-only/);
  });

  it("refuses an insert that would leave a gap in seq", async () => {
    const [turn] = await db.sql<{ id: string }[]>`select id from turns where session_id = ${sessionId}`;
    await expect(
      db.sql`insert into messages (session_id, seq, turn_id, role, content) values (${sessionId}, 5, ${turn!.id}, 'user', '{}')`,
    ).rejects.toThrow(/gapless/);
  });

  it("still holds both messages unchanged", async () => {
    const rows = await db.sql<{ seq: string; text: string }[]>`select seq, content->>'text' as text from messages where session_id = ${sessionId} order by seq`;
    expect(rows.map((r) => [Number(r.seq), r.text])).toEqual([
      [1, "hi"],
      [2, "hello"],
    ]);
  });
});

describe("fencing", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses the append of a worker whose lease was taken over, and accepts the new holder's", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    const { turn } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "q", requestHash: "h" });
    const first = await claimNextTurn(db.db, sessionId, { maxAttempts: 5, maxCrashes: 5 });
    const second = await claimNextTurn(db.db, sessionId, { maxAttempts: 5, maxCrashes: 5 });
    if (first.kind !== "claimed" || second.kind !== "claimed") throw new Error("expected claims");
    const messages = [{ role: "user" as const, content: { text: "q" } }];
    await expect(completeTurn(db.db, { turnId: turn.id, lease: first.turn.lease, output: "stale", messages })).rejects.toMatchObject({
      code: "lease_lost",
    });
    await completeTurn(db.db, { turnId: turn.id, lease: second.turn.lease, output: "fresh", messages });
    const rows = await db.sql`select count(*)::int as n from messages where session_id = ${sessionId}`;
    expect(rows[0]!.n).toBe(1);
  });
});

describe("poison turns", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("counts runs abandoned by dying workers as crashes, not attempts, and fails the turn after maxCrashes of them", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    const { turn: first } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "crashes the worker", requestHash: "a" });
    const { turn: second } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "fine", requestHash: "b" });
    const limits = { maxAttempts: 1, maxCrashes: 3 };
    const firstClaim = await claimNextTurn(db.db, sessionId, limits);
    expect(firstClaim).toMatchObject({ kind: "claimed", turn: { id: first.id, attempts: 1, crashes: 0 } });
    let lease = firstClaim.kind === "claimed" ? firstClaim.turn.lease : 0;
    // Each claim finds the turn still running: its holder died. One attempt, whatever the crashes;
    // each takeover fences the previous holder out with a new, larger lease.
    for (let i = 1; i <= 3; i++) {
      const c = await claimNextTurn(db.db, sessionId, limits);
      expect(c).toMatchObject({ kind: "claimed", turn: { id: first.id, attempts: 1, crashes: i } });
      expect(c.kind === "claimed" && c.turn.lease).toBeGreaterThan(lease);
      lease = c.kind === "claimed" ? c.turn.lease : lease;
    }
    const exhausted = await claimNextTurn(db.db, sessionId, limits);
    expect(exhausted).toMatchObject({
      kind: "exhausted",
      turn: { id: first.id, status: "failed", errorCode: "turn_attempts_exhausted", attempts: 1, crashes: 4 },
    });
    if (exhausted.kind !== "exhausted") throw new Error("expected exhaustion");
    expect(exhausted.turn.errorMessage).toMatch(/^Gave up after workers died 4 times while running this turn/);
    expect(await claimNextTurn(db.db, sessionId, limits)).toMatchObject({ kind: "claimed", turn: { id: second.id, attempts: 1, crashes: 0 } });
  });

  it("fails a turn whose attempts all ended in a retryable error, naming the last one", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    const { turn } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "the provider keeps failing", requestHash: "a" });
    const limits = { maxAttempts: 3, maxCrashes: 10 };
    for (let i = 1; i <= 3; i++) {
      const c = await claimNextTurn(db.db, sessionId, limits);
      if (c.kind !== "claimed") throw new Error(`claim ${i}: expected the turn`);
      expect(c.turn).toMatchObject({ attempts: i, crashes: 0 });
      await settleFailedTurn(db.db, { turnId: turn.id, lease: c.turn.lease, code: "llm_unavailable", message: `503 number ${i}`, final: false });
    }
    const exhausted = await claimNextTurn(db.db, sessionId, limits);
    expect(exhausted).toMatchObject({ kind: "exhausted", turn: { status: "failed", errorCode: "turn_attempts_exhausted", attempts: 3 } });
    if (exhausted.kind !== "exhausted") throw new Error("expected exhaustion");
    expect(exhausted.turn.errorMessage).toBe("Gave up after 3 attempts; last error: 503 number 3. Submit the turn again to retry.");
  });

  it("never hands a lost claim's lease out again (a claim commits without waiting for its flush)", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    const { turn } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: "hi", requestHash: "c" });
    const limits = { maxAttempts: 5, maxCrashes: 10 };
    const lost = await claimNextTurn(db.db, sessionId, limits);
    if (lost.kind !== "claimed") throw new Error(`expected a claim, got ${lost.kind}`);
    // What a Postgres crash before the claim's WAL flush leaves: the row as it was before the claim.
    await db.sql`update turns set status = 'queued', lease = 0, attempts = 0 where id = ${turn.id}`;
    const retaken = await claimNextTurn(db.db, sessionId, limits);
    if (retaken.kind !== "claimed") throw new Error(`expected a claim, got ${retaken.kind}`);
    expect(retaken.turn.lease).not.toBe(lost.turn.lease);
    await expect(completeTurn(db.db, { turnId: turn.id, lease: lost.turn.lease, output: "stale", messages: [] })).rejects.toMatchObject({ code: "lease_lost" });
  });
});
