import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { drainJob } from "@turnq/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import pino from "pino";
import { createSession, get, post } from "../support/http.ts";
import { startPgWireCounter, type PgWireCounter } from "../support/pg-wire-counter.ts";
import { startProcess, TELEMETRY_ARGS, type AppProcess } from "../support/processes.ts";
import { startOwnRedis, type OwnRedis } from "../support/redis-server.ts";
import { commandCalls } from "../support/redis-commandstats.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

/**
 * What one plain turn (submit, wait, one LLM call, no tools) costs in Postgres statements, round
 * trips and Redis commands, counted on the wire (a proxy in front of Postgres) and by a redis-server
 * this file owns (INFO commandstats, commands inside scripts included). Each turn starts with the
 * worker idle in its blocking fetch, and nobody follows the session (its live events go with the
 * turn's closing ones: follow-signals in @turnq/queue), so the counts do not depend on timing: a
 * change that adds a round trip to the hot path fails here. Budgets: issue #8. BullMQ's own lifecycle of the drain job
 * (add, fetch, complete, remove) is measured beside it, as a plain job with the same options, and
 * turnq's share is what a turn costs beyond that.
 */
/*
 * turnq's Redis commands per plain turn (inside scripts counted): 18 before issue #10, which added 16:
 * admission of its two requests (submit and long-poll: EVALSHA, TIME, MGET and two SETs each, plus
 * the submit's SCARD and HMGET of the session's queue and the tenant's busy sessions: 12) and fair
 * scheduling's accounting inside the enqueue and settle scripts (one HMGET and one HSET of the fleet
 * hash each: 4). Measured 35-37 at load average 25-33 (34, and the extra polls of BullMQ's fetch
 * loop that a loaded machine adds to every round); the budget keeps 4 for that noise. 33 since the
 * settle stopped nudging the session's channel beside the done notification, which wakes the
 * session's live-event readers itself. 31 since the settle writes a turn's closing events (here the
 * answer's message and the final status) as one stream entry: one XADD instead of one per event.
 * 27 since a turn nobody follows holds its running status and first delta for its closing entry
 * (one EXISTS of the session's follow mark instead of two XADD and two PUBLISH) and the settle
 * reads and deletes the drain key with one GETDEL. 25 since admission refills its buckets by the
 * API's clock instead of asking Redis for TIME (one per request: two here).
 */
const budget = { statements: 8, roundTrips: 4, turnqRedisCommands: 29 };

describe("the cost of a plain turn", () => {
  let redis: OwnRedis;
  let db: TestDatabase;
  let pg: PgWireCounter;
  let sim: Simulator;
  let api: RunningApi;
  let worker: AppProcess;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startOwnRedis();
    db = await createTestDatabase();
    pg = await startPgWireCounter(db.url);
    sim = await startSimulator({});
    const common = { DATABASE_URL: pg.url, REDIS_URL: redis.url, TURNQ_PREFIX: "cost" };
    api = await startApi(apiEnvSchema.parse({ ...common, PORT: "0" }), pino({ level: "warn" }));
    // Authenticating costs nothing per turn: the key is verified once (in the warm-up), then cached.
    await keyForApi(db.db, api.url);
    // Periodic housekeeping (reconciler, stalled checks) is not per-turn cost: keep it out of the window.
    worker = startProcess(
      "worker",
      "apps/worker/src/main.ts",
      {
        ...common,
        OTEL_SERVICE_NAME: "turnq-worker",
        LLM_BASE_URL: sim.url,
        WORKER_CONCURRENCY: "10",
        RECONCILE_INTERVAL_MS: "600000",
        STALLED_INTERVAL_MS: "600000",
        LOCK_DURATION_MS: "600000",
        DEAD_WORKER_SWEEP_MS: "0",
      },
      TELEMETRY_ARGS,
    );
    await worker.waitForLine(/turnq worker started/);
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await worker?.stop("SIGKILL");
    await api?.close();
    await sim?.close();
    await pg?.close();
    await db?.drop();
    admin?.disconnect();
    await redis?.stop();
  });

  it("stays within the Postgres and Redis budgets", { timeout: 180_000 }, async () => {
    const sessions = await Promise.all(Array.from({ length: turnsPerRound }, () => createSession(api.url)));
    // Warm-up: every statement prepared on every pooled connection, every script loaded.
    for (const s of sessions) await oneTurn(api.url, s, "warm-up", admin);
    const turnRounds: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      turnRounds.push(
        await measureRound(admin, pg, async () => {
          for (const s of sessions) await oneTurn(api.url, s, 'hello [[sim reply="Hi!"]]', admin);
          // The client hears of a turn before BullMQ has finished its drain job: count that too.
          await workerIdle(admin);
        }),
      );
    }
    const reference = await bullmqJobCost(redis.url, admin);
    const turn = leastDisturbed(turnRounds);
    const perTurn = {
      statements: turn.statements / turnsPerRound,
      roundTrips: turn.roundTrips / turnsPerRound,
      unnamedParses: turn.unnamedParses / turnsPerRound,
      redisCommands: turn.redis.total / turnsPerRound,
      bullmqJobRedisCommands: leastDisturbed(reference).redis.total / turnsPerRound,
    };
    const turnqRedisCommands = perTurn.redisCommands - perTurn.bullmqJobRedisCommands;
    console.log(JSON.stringify({ perTurn, turnqRedisCommands, rounds: turnRounds.map((r) => [r.statements, r.roundTrips, r.redis.total]), redis: turn.redis.byCommand }));
    expect(perTurn.statements).toBeLessThanOrEqual(budget.statements);
    expect(perTurn.roundTrips).toBeLessThanOrEqual(budget.roundTrips);
    expect(perTurn.unnamedParses).toBe(0);
    expect(turnqRedisCommands).toBeLessThanOrEqual(budget.turnqRedisCommands);
  });

  it("costs a client that submits with Prefer: wait three statements: no long-poll read, no extra write", { timeout: 180_000 }, async () => {
    const sessions = await Promise.all(Array.from({ length: turnsPerRound }, () => createSession(api.url)));
    for (const s of sessions) await oneWaitingTurn(api.url, s, "warm-up", admin);
    const turnRounds: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      turnRounds.push(
        await measureRound(admin, pg, async () => {
          for (const s of sessions) await oneWaitingTurn(api.url, s, 'hello [[sim reply="Hi!"]]', admin);
          await workerIdle(admin);
        }),
      );
    }
    const turn = leastDisturbed(turnRounds);
    // Submit (its commit not flushed: the finish's flush covers it), claim, finish.
    expect(turn.statements / turnsPerRound).toBe(3);
    expect(turn.roundTrips / turnsPerRound).toBe(3);
    // Past its wait the answer is a 202, and a 202 promises a durable turn: one more write confirms it.
    const s = sessions[0]!;
    await workerIdle(admin);
    pg.reset();
    const slow = await post(api.url, `/v1/sessions/${s}/turns`, { input: "slow [[sim delay=2500]]" }, { prefer: "wait=1" });
    expect(slow.status).toBe(202);
    expect([...pg.counts().texts.keys()].some((t) => t.startsWith("update turns set status = status"))).toBe(true);
    expect((await get(api.url, `/v1/turns/${slow.body.id}`, { prefer: "wait=10" })).body.status).toBe("completed");
  });
});

async function oneWaitingTurn(base: string, sessionId: string, input: string, admin: Redis): Promise<void> {
  await workerIdle(admin);
  const done = await post(base, `/v1/sessions/${sessionId}/turns`, { input }, { prefer: "wait=10" });
  expect(done.status).toBe(200);
  expect(done.body.status).toBe("completed");
}

/**
 * On a busy machine a round can pick up work that timeouts cause (a long-poll's safety re-read
 * after 5 s, BullMQ's idle fetch loop); those only ever add. The round with the fewest commands is
 * the cost of the turns themselves.
 */
const turnsPerRound = 8;
/**
 * Clients a turnq worker keeps blocked in BullMQ's fetch when idle: its drain worker and its
 * webhook delivery worker (which, for a tenant without endpoints, is sent nothing per turn).
 */
const workerFetchers = 2;
const rounds = 3;

interface Round {
  statements: number;
  roundTrips: number;
  unnamedParses: number;
  redis: { total: number; byCommand: Record<string, number> };
}

async function measureRound(admin: Redis, pg: PgWireCounter | undefined, run: () => Promise<void>): Promise<Round> {
  await admin.config("RESETSTAT");
  pg?.reset();
  await run();
  const counts = pg?.counts();
  return {
    statements: counts?.statements ?? 0,
    roundTrips: counts?.roundTrips ?? 0,
    unnamedParses: counts?.unnamedParses ?? 0,
    redis: await commandCount(admin),
  };
}

function leastDisturbed(all: Round[]): Round {
  return all.reduce((best, r) => (r.redis.total + r.statements < best.redis.total + best.statements ? r : best));
}

/** A plain BullMQ job per "turn" with the drain job's options, in the same pattern as the turns. */
async function bullmqJobCost(url: string, admin: Redis): Promise<Round[]> {
  // BullMQ does not close connections it is given: they are quit below, or they outlive the file.
  const connections: Redis[] = [];
  const connection = () => connections[connections.push(new Redis(url, { maxRetriesPerRequest: null })) - 1]!;
  const queue = new Queue("reference", { connection: connection(), prefix: "ref" });
  const worker = new Worker("reference", async () => "done", { connection: connection(), prefix: "ref", concurrency: 10 });
  let n = 0;
  const run = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await workerIdle(admin, workerFetchers + 1);
      const done = new Promise((resolve) => worker.once("completed", resolve));
      await queue.add(drainJob.name, { sessionId: `ses_${n}` }, { ...drainJob.options, jobId: `drain-ses_${n}-turn_${n}` });
      n++;
      await done;
    }
    await workerIdle(admin, workerFetchers + 1);
  };
  try {
    await worker.waitUntilReady();
    await run(3);
    const all: Round[] = [];
    for (let r = 0; r < rounds; r++) all.push(await measureRound(admin, undefined, () => run(turnsPerRound)));
    return all;
  } finally {
    await worker.close();
    await queue.close();
    await Promise.all(connections.map((c) => c.quit()));
  }
}

/**
 * Resolves once `n` clients are blocked in BullMQ's fetch (BZPOPMIN): the worker has nothing left
 * to do, so the next turn starts from the same state as every other.
 */
async function workerIdle(admin: Redis, n = workerFetchers): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = (await admin.client("LIST")) as string;
    const blocked = list.split("\n").filter((l) => / flags=b /.test(l) && / cmd=bzpopmin /.test(l)).length;
    if (blocked >= n) return;
    if (Date.now() > deadline) throw new Error(`the worker did not go idle within 30 s:\n${list}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function oneTurn(base: string, sessionId: string, input: string, admin: Redis): Promise<void> {
  await workerIdle(admin);
  const submitted = await post(base, `/v1/sessions/${sessionId}/turns`, { input });
  expect(submitted.status).toBe(202);
  for (;;) {
    const r = await get(base, `/v1/turns/${submitted.body.id}`, { prefer: "wait=10" });
    if (r.body.status === "completed") return;
    expect(["queued", "running"]).toContain(r.body.status);
  }
}

/** Commands since the last RESETSTAT, without the ones this test itself sends. */
async function commandCount(redis: Redis): Promise<{ total: number; byCommand: Record<string, number> }> {
  const info = await redis.info("commandstats");
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of commandCalls(info)) {
    if (name === "info" || name === "config|resetstat" || name === "client|list") continue;
    byCommand[name] = calls;
  }
  return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand };
}
