/**
 * What one Redis node and one Postgres sustain on this machine, for the README's capacity
 * arithmetic (issue #11): `redis-benchmark` against a redis-server of its own (plain commands,
 * pipelined commands, EVALSHA of a small mailbox-like script, XADD + PUBLISH), and `pgbench` with
 * turn.sql (one plain turn's four statements) against a fresh migrated database on the machine's
 * Postgres, with synchronous_commit on and off. Every figure is the median of `CAPACITY_RUNS` short
 * runs (3): the machine is shared, and its load average is printed beside the figures.
 *
 *   node test/bench/capacity/capacity.ts      # one JSON line on stdout, about 3 minutes
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runMigrations } from "@turnq/db";
import { Redis } from "ioredis";
import { adminStatement, dropDatabase } from "../../support/databases.ts";
import { freePort } from "../../support/free-port.ts";
import { killRedis, launchRedis } from "../../support/redis-server.ts";
import { databaseUrl } from "../../support/services.ts";
import { startBenchSystem } from "../bench-system.ts";
import { runClosedLoop } from "../closed-loop.ts";

const run = promisify(execFile);
const runs = Number(process.env.CAPACITY_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function medianOf(measure: () => Promise<number>): Promise<{ median: number; runs: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(Math.round(await measure()));
  return { median: median(all), runs: all };
}

/** Requests per second of one redis-benchmark test (`-q --csv`: "name","rps",…). */
async function redisBenchmark(port: number, args: string[]): Promise<number> {
  const { stdout } = await run("redis-benchmark", ["-p", String(port), "-q", "--csv", ...args], { maxBuffer: 1 << 20 });
  // The test's name may hold quotes and commas: read the seven figures from the end of the line.
  const m = /"([\d.]+)"(?:,"[\d.]+"){6}\s*$/.exec(stdout.trim());
  if (!m) throw new Error(`redis-benchmark printed no figures:\n${stdout}`);
  return Number(m[1]);
}

async function measureRedis() {
  const port = await freePort();
  const child = await launchRedis(port, ["--save", "", "--appendonly", "no"]);
  try {
    const r = new Redis({ port, host: "127.0.0.1" });
    // Like the mailbox's enqueue: add a turn to the session's pending set, claim its drain key.
    const sha = (await r.script("LOAD", "redis.call('SADD', KEYS[1], ARGV[1]) return redis.call('SET', KEYS[2], ARGV[1], 'NX', 'GET')")) as string;
    r.disconnect();
    const common = ["-c", "50", "-r", "100000"];
    return {
      setPerSecond: await medianOf(() => redisBenchmark(port, [...common, "-n", "200000", "-t", "set"])),
      setPipelined16PerSecond: await medianOf(() => redisBenchmark(port, [...common, "-n", "1000000", "-P", "16", "-t", "set"])),
      evalshaPerSecond: await medianOf(() =>
        redisBenchmark(port, [...common, "-n", "200000", "evalsha", sha, "2", "{s__rand_int__}:p", "{s__rand_int__}:d", "turn__rand_int__"]),
      ),
      xaddPerSecond: await medianOf(() =>
        redisBenchmark(port, [...common, "-n", "200000", "xadd", "{s__rand_int__}:e", "MAXLEN", "~", "5000", "*", "turn", "t1", "e", '{"type":"message.delta","text":"Hello there"}']),
      ),
      publishPerSecond: await medianOf(() => redisBenchmark(port, [...common, "-n", "200000", "publish", "turnq:events:s__rand_int__", "turn_1"])),
      // The server's own time per call over all the runs above: what a loaded machine disturbs least.
      usecPerCall: await usecPerCall(port, ["set", "evalsha", "sadd", "xadd", "publish"]),
    };
  } finally {
    await killRedis(child);
  }
}

async function usecPerCall(port: number, commands: string[]): Promise<Record<string, number>> {
  const r = new Redis({ port, host: "127.0.0.1" });
  try {
    const info = await r.info("commandstats");
    const out: Record<string, number> = {};
    for (const c of commands) {
      const m = new RegExp(`^cmdstat_${c}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`, "m").exec(info);
      if (m) out[c] = Number(m[1]);
    }
    return out;
  } finally {
    r.disconnect();
  }
}

/**
 * Redis CPU time per plain turn: turnq (API in this process, one worker, LLM 0 ms) on a
 * redis-server of this script's own, 50 closed-loop clients; the server's CPU time (INFO cpu) and
 * commands (INFO commandstats, commands inside scripts included) over the loop, per completed turn.
 * Also BullMQ's polling over the window, so slightly more than a turn's own share.
 */
async function measureRedisPerTurn() {
  const port = await freePort();
  const child = await launchRedis(port, ["--save", "", "--appendonly", "no"]);
  const admin = new Redis({ port, host: "127.0.0.1" });
  const sys = await startBenchSystem({ llmLatencyMs: 0, workers: 1, concurrency: 50, redisUrl: `redis://127.0.0.1:${port}` });
  try {
    const turns = Number(process.env.CAPACITY_TURNS ?? 3000);
    // Warm-up: scripts loaded, statements prepared.
    await runClosedLoop({ baseUrl: sys.api.url, clients: 50, tag: "warm", maxTurns: 200, onStart: (now) => now + 60_000 });
    const cpu = async () => {
      const info = await admin.info("cpu");
      const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)![1]);
      return read("used_cpu_user") + read("used_cpu_sys");
    };
    const calls = async () => {
      const info = await admin.info("commandstats");
      return [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    };
    await admin.config("RESETSTAT");
    const cpuBefore = await cpu();
    const loop = await runClosedLoop({ baseUrl: sys.api.url, clients: 50, tag: "measure", maxTurns: turns, onStart: (now) => now + 120_000 });
    const cpuSeconds = (await cpu()) - cpuBefore;
    const completed = loop.samples.filter((t) => t.status === "completed").length;
    return {
      turns: completed,
      errors: loop.errors.length,
      cpuMsPerTurn: Number(((cpuSeconds * 1000) / completed).toFixed(3)),
      commandsPerTurn: Number(((await calls()) / completed).toFixed(1)),
    };
  } finally {
    await sys.stop();
    admin.disconnect();
    await killRedis(child);
  }
}

/** Transactions (whole turns) per second of one pgbench run. */
async function pgbench(url: string, clients: number, seconds: number, sessions: number, syncCommit: boolean): Promise<number> {
  const script = fileURLToPath(new URL("turn.sql", import.meta.url));
  const { stdout } = await run(
    "pgbench",
    ["-n", "-M", "prepared", "-f", script, "-D", `sessions=${sessions}`, "-c", String(clients), "-j", "2", "-T", String(seconds), url],
    { env: { ...process.env, PGOPTIONS: `-c synchronous_commit=${syncCommit ? "on" : "off"}` }, maxBuffer: 1 << 20 },
  );
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(m[1]);
}

async function measurePostgres() {
  const name = `turnq_capacity_${randomBytes(4).toString("hex")}`;
  await adminStatement(`create database "${name}"`);
  const url = databaseUrl(name);
  try {
    await runMigrations(url);
    const sessions = 10_000;
    const seed =
      "insert into tenants (id, name) values ('ten_capacity', 'capacity'); " +
      "insert into sessions (id, tenant_id) select 'ses_' || g, 'ten_capacity' from generate_series(1, " + sessions + ") g";
    await run("psql", ["-q", "-c", seed, url]);
    const clients = Number(process.env.CAPACITY_PG_CLIENTS ?? 16);
    const seconds = Number(process.env.CAPACITY_PG_SECONDS ?? 10);
    return {
      clients,
      seconds,
      turnsPerSecondSyncCommitOn: await medianOf(() => pgbench(url, clients, seconds, sessions, true)),
      turnsPerSecondSyncCommitOff: await medianOf(() => pgbench(url, clients, seconds, sessions, false)),
    };
  } finally {
    await dropDatabase(name);
  }
}

const loadBefore = loadavg()[0]!;
const redis = await measureRedis();
process.stderr.write(`redis: ${JSON.stringify(redis)}\n`);
const redisPerTurn = await measureRedisPerTurn();
process.stderr.write(`redis per turn: ${JSON.stringify(redisPerTurn)}\n`);
const postgresFigures = await measurePostgres();
console.log(
  JSON.stringify({
    loadAverage: { before: Number(loadBefore.toFixed(1)), after: Number(loadavg()[0]!.toFixed(1)) },
    redis,
    redisPerTurn,
    postgres: postgresFigures,
  }),
);
