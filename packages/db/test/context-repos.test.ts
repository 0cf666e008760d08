import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeTurn } from "../../../test/support/complete-turn.ts";
import {
  appendSummary,
  claimNextTurn,
  latestSummary,
  messagesOfTurn,
  newestMessagesAfter,
  submitTurn,
} from "../src/index.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createTestSession, testTenantId } from "../../../test/support/tenants.ts";

let db: TestDatabase;
let n = 0;

async function claim(sessionId: string) {
  const { turn } = await submitTurn(db.db, { tenantId: await testTenantId(db.db), sessionId, input: `q${++n}`, requestHash: `h${n}` });
  const c = await claimNextTurn(db.db, sessionId, { maxAttempts: 5, maxCrashes: 5 });
  if (c.kind !== "claimed" || c.turn.id !== turn.id) throw new Error("expected to claim the new turn");
  return c.turn;
}

async function logPairs(sessionId: string, pairs: number) {
  for (let i = 0; i < pairs; i++) {
    const t = await claim(sessionId);
    await completeTurn(db.db, {
      turnId: t.id,
      lease: t.lease,
      output: "a",
      messages: [
        { role: "user", content: { text: t.input } },
        { role: "assistant", content: { text: `answer to ${t.input}` } },
      ],
    });
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe("newestMessagesAfter", () => {
  it("returns the newest rows after a seq, in seq order, bounded by limit and throughSeq", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    await logPairs(sessionId, 5); // seq 1..10
    expect((await newestMessagesAfter(db.db, sessionId, { afterSeq: 6, limit: 10 })).map((r) => r.seq)).toEqual([7, 8, 9, 10]);
    expect((await newestMessagesAfter(db.db, sessionId, { afterSeq: 0, limit: 3 })).map((r) => r.seq)).toEqual([8, 9, 10]);
    expect((await newestMessagesAfter(db.db, sessionId, { afterSeq: 2, limit: 3, throughSeq: 6 })).map((r) => r.seq)).toEqual([4, 5, 6]);
    expect(await newestMessagesAfter(db.db, sessionId, { afterSeq: 10, limit: 3 })).toEqual([]);
  });
});

describe("appendSummary and latestSummary", () => {
  it("appends a summary entry under the lease, naming its range, and finds the latest one", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    await logPairs(sessionId, 3); // 1..6
    const t = await claim(sessionId);
    const first = await appendSummary(db.db, { turnId: t.id, lease: t.lease, text: "s1", fromSeq: 1, toSeq: 4 });
    expect(first).toMatchObject({ seq: 7, role: "system", turnId: t.id, content: { text: "s1", summary: { fromSeq: 1, toSeq: 4 } } });
    const second = await appendSummary(db.db, { turnId: t.id, lease: t.lease, text: "s2", fromSeq: 5, toSeq: 7 });
    expect((await latestSummary(db.db, sessionId))?.seq).toBe(second.seq);
    expect((await latestSummary(db.db, sessionId, { throughSeq: 7 }))?.seq).toBe(7);
    expect((await latestSummary(db.db, sessionId, { withinLast: 1 }))?.seq).toBe(8);
    expect((await messagesOfTurn(db.db, sessionId, t.id)).map((r) => r.seq)).toEqual([7, 8]);
  });

  it("bounds the search with withinLast", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    await logPairs(sessionId, 1);
    const t = await claim(sessionId);
    await appendSummary(db.db, { turnId: t.id, lease: t.lease, text: "s", fromSeq: 1, toSeq: 2 }); // seq 3
    await completeTurn(db.db, {
      turnId: t.id,
      lease: t.lease,
      output: "x",
      messages: [1, 2, 3, 4].map((i) => ({ role: "user" as const, content: { text: `m${i}` } })), // 4..7
    });
    expect((await latestSummary(db.db, sessionId, { withinLast: 5 }))?.seq).toBe(3);
    expect(await latestSummary(db.db, sessionId, { withinLast: 4 })).toBeUndefined();
  });

  it("refuses a stale lease, a range not yet logged, and an empty range, appending nothing", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    await logPairs(sessionId, 2); // 1..4
    const t = await claim(sessionId);
    const again = await claimNextTurn(db.db, sessionId, { maxAttempts: 5, maxCrashes: 5 }); // takes the lease over
    if (again.kind !== "claimed") throw new Error("expected a claim");
    await expect(appendSummary(db.db, { turnId: t.id, lease: t.lease, text: "s", fromSeq: 1, toSeq: 2 })).rejects.toMatchObject({ code: "lease_lost" });
    await expect(appendSummary(db.db, { turnId: t.id, lease: again.turn.lease, text: "s", fromSeq: 1, toSeq: 5 })).rejects.toThrow(/already in the log/);
    await expect(appendSummary(db.db, { turnId: t.id, lease: again.turn.lease, text: "s", fromSeq: 3, toSeq: 2 })).rejects.toThrow(/fromSeq <= toSeq/);
    const [row] = await db.sql<{ n: number; last: number }[]>`select count(*)::int as n, (select last_seq::int from sessions where id = ${sessionId}) as last from messages where session_id = ${sessionId}`;
    expect(row).toEqual({ n: 4, last: 4 });
  });
});
