import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendSummary } from "@turnq/db";
import { createContextCache, loadHistory } from "../../src/context/index.ts";
import { seedHistory } from "../../../../test/support/seed-history.ts";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/test-database.ts";
import { claimTurn, logTurn } from "./turn-fixture.ts";
import { createTestSession } from "../../../../test/support/tenants.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const answer = (text: string) => [{ role: "assistant" as const, content: { text } }];

describe("loadHistory", () => {
  it("reads only the new rows on the next turn once the cache is warm", async () => {
    const { sessionId } = await seedHistory(db.db, { count: 50 });
    const cache = createContextCache({ maxSessions: 10, maxMessagesPerSession: 100 });
    const first = await loadHistory(db.db, cache, sessionId);
    expect(first).toMatchObject({ source: "cold", fetchedRows: 50, upToSeq: 50, truncated: false, summary: null });

    await logTurn(db.db, sessionId, "next question", answer("next answer"));
    const before = { ...cache.stats };
    const second = await loadHistory(db.db, cache, sessionId);
    expect(second).toMatchObject({ source: "warm", fetchedRows: 2, upToSeq: 52 });
    expect(cache.stats.queries - before.queries).toBe(1);
    expect(cache.stats.rowsFetched - before.rowsFetched).toBe(2);
    expect(second.history.map((r) => r.seq)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));

    const third = await loadHistory(db.db, cache, sessionId);
    expect(third).toMatchObject({ source: "warm", fetchedRows: 0 });
  });

  it("loads a bounded number of rows cold, even with 10,000 messages in the log", async () => {
    const { sessionId } = await seedHistory(db.db, { count: 10_000 });
    const cache = createContextCache({ maxSessions: 10, maxMessagesPerSession: 150 });
    const loaded = await loadHistory(db.db, cache, sessionId);
    // One read: the newest limit + 1 (a summary among them would be the oldest one kept).
    expect(loaded.fetchedRows).toBeLessThanOrEqual(151);
    expect(loaded.history.map((r) => r.seq)).toEqual(Array.from({ length: 150 }, (_, i) => 9_851 + i));
    expect(loaded.truncated).toBe(true); // no summary within reach: compaction is due

    const compacted = await seedHistory(db.db, { count: 10_000, summaryKeep: 12 });
    const fromSummary = await loadHistory(db.db, cache, compacted.sessionId);
    expect(fromSummary.summary).toMatchObject({ seq: 9_988, fromSeq: 1, toSeq: 9_987 });
    expect(fromSummary.history.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => 9_989 + i));
    expect(fromSummary.fetchedRows).toBe(13); // one read: the summary and the 12 entries after its range
    expect(fromSummary.truncated).toBe(false);
  });

  it("evicts the least recently used session and reloads it cold", async () => {
    const cache = createContextCache({ maxSessions: 2, maxMessagesPerSession: 20 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await seedHistory(db.db, { count: 5 })).sessionId);
    await loadHistory(db.db, cache, ids[0]!);
    await loadHistory(db.db, cache, ids[1]!);
    await loadHistory(db.db, cache, ids[0]!); // ids[1] is now the least recently used
    await loadHistory(db.db, cache, ids[2]!);
    expect(cache.size()).toBe(2);
    expect(cache.stats.evictions).toBe(1);
    expect((await loadHistory(db.db, cache, ids[0]!)).source).toBe("warm");
    expect((await loadHistory(db.db, cache, ids[1]!)).source).toBe("cold");
  });

  it("keeps at most maxMessagesPerSession and starts over when more than that arrived", async () => {
    const { sessionId } = await seedHistory(db.db, { count: 10 });
    const cache = createContextCache({ maxSessions: 2, maxMessagesPerSession: 8 });
    expect((await loadHistory(db.db, cache, sessionId)).truncated).toBe(true);
    await seedHistory(db.db, { sessionId, count: 3 });
    const warm = await loadHistory(db.db, cache, sessionId);
    expect(warm.history.map((r) => r.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    await seedHistory(db.db, { sessionId, count: 20 });
    const gap = await loadHistory(db.db, cache, sessionId);
    expect(gap.source).toBe("cold");
    expect(gap.history.map((r) => r.seq)).toEqual([26, 27, 28, 29, 30, 31, 32, 33]);
  });

  it("takes in a summary appended since the last read and drops what it covers", async () => {
    const sessionId = (await createTestSession(db.db)).id;
    for (let i = 0; i < 5; i++) await logTurn(db.db, sessionId, `q${i}`, answer(`a${i}`)); // 1..10
    const cache = createContextCache({ maxSessions: 2, maxMessagesPerSession: 50 });
    await loadHistory(db.db, cache, sessionId);
    const turn = await claimTurn(db.db, sessionId, "q5");
    await appendSummary(db.db, { turnId: turn.id, lease: turn.lease, text: "earlier", fromSeq: 1, toSeq: 6 }); // seq 11
    const after = await loadHistory(db.db, cache, sessionId);
    expect(after).toMatchObject({ source: "warm", fetchedRows: 1, summary: { seq: 11, text: "earlier", fromSeq: 1, toSeq: 6 }, truncated: false });
    expect(after.history.map((r) => r.seq)).toEqual([7, 8, 9, 10]);
    const cold = await loadHistory(db.db, createContextCache({ maxSessions: 1, maxMessagesPerSession: 50 }), sessionId);
    expect({ ...cold, source: "warm", fetchedRows: 1 }).toEqual(after);
  });
});
