import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { hashSlot, keySpace, queueListKey, sessionKeys, shardOf } from "@turnq/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { createSession, post, useApiKey, waitTurn } from "../support/http.ts";
import { runNpmScript, type NpmRun } from "../support/npm-script.ts";
import { isRunning } from "../support/process-table.ts";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { startOwnRedisCluster } from "../support/redis-cluster.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { redisUrl } from "../support/services.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";

// The children's grace (SHUTDOWN_GRACE_MS below) plus the 5 s the runner adds before SIGKILL.
const RUNNER_GRACE_MS = 3_000 + 5_000;
// Deadlines for the runner to start or give up: each child it starts loads for tens of seconds on
// a loaded 2-core machine (100 s seen for API + two workers), and it starts them in turn.
const RUNNER_DEADLINE_MS = 240_000;

/** `npm run dev` as a user runs it (infra/dev.ts), on ports of its own, against this file's database. */
describe("npm run dev", { timeout: 2 * RUNNER_DEADLINE_MS }, () => {
  const prefix = `t${randomBytes(4).toString("hex")}`;
  // The runner's dev key goes to a file of this test's own, not the checkout's .turnq/dev-key.
  const keyDir = mkdtempSync(`${tmpdir()}/turnq-dev-`);
  const keyFile = `${keyDir}/dev-key`;
  let db: TestDatabase;
  const runs: AppProcess[] = [];
  const blockers: Server[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    // Whatever an assertion below found still running is not left to load the machine.
    for (const run of runs.splice(0)) {
      for (const { pid } of childrenOf(run.output())) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      await run.stop("SIGKILL");
    }
    await Promise.all(blockers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  afterAll(async () => {
    await db?.drop();
    await deleteKeys(redisUrl(), prefix);
    rmSync(keyDir, { recursive: true, force: true });
  });

  async function dev(env: Record<string, string> = {}): Promise<{ run: AppProcess; port: number }> {
    const { port, vars } = await devEnv(env);
    const run = startProcess("dev", "infra/dev.ts", vars);
    runs.push(run);
    return { run, port };
  }

  /** The runner's environment: ports of its own, this file's database and key file, `env` on top. */
  async function devEnv(env: Record<string, string> = {}): Promise<{ port: number; vars: Record<string, string> }> {
    const port = Number(env.PORT ?? (await freePort()));
    const vars = {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl(),
      TURNQ_PREFIX: prefix,
      PORT: String(port),
      SIM_PORT: String(await freePort()),
      // Not the default 9464: a dev system the machine's user runs meanwhile keeps it.
      METRICS_PORT: String(await freePortPair()),
      SIM_LATENCY_MS: "0",
      WORKERS: "2",
      WORKER_CONCURRENCY: "4",
      DB_POOL_MAX: "4",
      SHUTDOWN_GRACE_MS: "3000",
      TURNQ_DEV_KEY_FILE: keyFile,
      ...env,
    };
    return { port, vars };
  }

  /** Holds `port` on 127.0.0.1 the way another program would. */
  async function occupy(port: number): Promise<void> {
    const server = createServer();
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    blockers.push(server);
  }

  async function exitOf(run: AppProcess, ms = RUNNER_DEADLINE_MS): Promise<number | null> {
    if (run.child.exitCode !== null || run.child.signalCode !== null) return run.child.exitCode;
    const timer = setTimeout(() => run.child.kill("SIGKILL"), ms);
    try {
      const [code] = await once(run.child, "exit");
      return code as number | null;
    } finally {
      clearTimeout(timer);
    }
  }

  it("says which port is taken and how to move it when the API cannot listen, and leaves no child running", async () => {
    const port = await freePort();
    await occupy(port);
    const { run } = await dev({ PORT: String(port) });
    expect(await exitOf(run)).toBe(1);
    const out = run.output();
    expect(out).toContain(`Port ${port} is taken, so the API cannot listen on it.`);
    expect(out).toContain("move the API with PORT=<a free port>");
    expect(out, "no stack trace").not.toMatch(/^\s+at /m);
    // The API was started (and failed); no worker was started behind it to take turns.
    expect(childrenOf(run.output()).map((c) => c.name)).toEqual(["api"]);
    expect(childrenOf(run.output()).filter((c) => isRunning(c.pid))).toEqual([]);
  });

  it("stops the children it already started when a worker cannot start, naming the worker's port", async () => {
    // Worker i serves metrics on METRICS_PORT + i - 1: worker-2's port is the one taken.
    const metrics = await freePortPair();
    await occupy(metrics + 1);
    const { run } = await dev({ METRICS_PORT: String(metrics) });
    expect(await exitOf(run)).toBe(1);
    const out = run.output();
    expect(out).toContain(`Port ${metrics + 1} is taken, so worker-2's metrics endpoint cannot listen on it.`);
    expect(out).toContain("METRICS_PORT=<a free port> (worker i listens on METRICS_PORT + i - 1)");
    expect(out, "no stack trace").not.toMatch(/^\s+at /m);
    expect(childrenOf(run.output()).map((c) => c.name).sort()).toEqual(["api", "worker-1", "worker-2"]);
    expect(childrenOf(run.output()).filter((c) => isRunning(c.pid))).toEqual([]);
  });

  it("says which variable moves the LLM simulator when its port is taken, before starting anything", async () => {
    const simPort = await freePort();
    await occupy(simPort);
    const { run } = await dev({ SIM_PORT: String(simPort) });
    expect(await exitOf(run)).toBe(1);
    const out = run.output();
    expect(out).toContain(`Port ${simPort} is taken, so the LLM simulator cannot listen on it.`);
    expect(out).toContain("SIM_PORT=<a free port>");
    expect(out, "no stack trace").not.toMatch(/^\s+at /m);
    expect(childrenOf(run.output())).toEqual([]);
  });

  it("runs turns, and on SIGINT stops every child within its grace", async () => {
    const { run, port } = await dev();
    await run.waitForLine(/^turnq is running/, RUNNER_DEADLINE_MS);
    const base = `http://127.0.0.1:${port}`;
    // The runner created the dev tenant's key, saved it, and printed it with the curl examples.
    const key = /^ {2}KEY=(tq_live_\w+)$/m.exec(run.output())?.[1];
    expect(key).toBeDefined();
    expect(readFileSync(keyFile, "utf8").trim()).toBe(key);
    expect(run.output()).toContain(`-H "authorization: Bearer $KEY"`);
    useApiKey(base, key!);
    const turn = await post(base, `/v1/sessions/${await createSession(base)}/turns`, { input: "hello dev" });
    expect((await waitTurn(base, turn.body.id, 60)).output).toBe("Echo: hello dev (saw 2 messages)");
    // The console is built at start, and its URL printed beside the curl example.
    expect(run.output()).toContain(`Console: ${base}/console`);
    const page = await fetch(`${base}/console`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<script type="module" src="\/console\/assets\/main-[A-Z0-9]+\.js">/);
    const children = childrenOf(run.output());
    expect(children.map((c) => c.name).sort()).toEqual(["api", "worker-1", "worker-2"]);

    const started = Date.now();
    run.child.kill("SIGINT");
    expect(await exitOf(run, RUNNER_GRACE_MS + 30_000)).toBe(0);
    expect(children.filter((c) => isRunning(c.pid))).toEqual([]);
    // Each child stopped by itself on SIGTERM: none had to be killed after the grace.
    expect(run.output()).not.toMatch(/did not stop within/);
    expect(Date.now() - started).toBeLessThan(RUNNER_GRACE_MS + 30_000);
  });

  it("runs on a Redis Cluster given as REDIS_URL=redis+cluster://… with QUEUE_SHARDS, every shard on its own master", async () => {
    const cluster = await startOwnRedisCluster(3);
    // A prefix of its own: afterwards the machine's Redis must hold none of its keys.
    const clusterPrefix = `${prefix}c`;
    try {
      const { run, port } = await dev({ REDIS_URL: cluster.url, QUEUE_SHARDS: "3", TURNQ_PREFIX: clusterPrefix, WORKERS: "1" });
      await run.waitForLine(/^turnq is running/, RUNNER_DEADLINE_MS);
      expect(run.output()).toContain("Redis Cluster: 3 masters, QUEUE_SHARDS=3");
      const base = `http://127.0.0.1:${port}`;
      useApiKey(base, /^ {2}KEY=(tq_live_\w+)$/m.exec(run.output())![1]!);
      // Sessions until each of the 3 shards has one (a session's shard is a hash of its random id).
      const space = keySpace(clusterPrefix, { shards: 3, cluster: true });
      const byShard = new Map<number, string>();
      for (let i = 0; i < 60 && byShard.size < 3; i++) {
        const id = await createSession(base);
        byShard.set(shardOf(space, id), id);
      }
      expect([...byShard.keys()].sort()).toEqual([0, 1, 2]);
      const turns = await Promise.all([...byShard.values()].map((s) => post(base, `/v1/sessions/${s}/turns`, { input: `on shard of ${s}` })));
      for (const t of turns) expect((await waitTurn(base, t.body.id, 60)).status).toBe("completed");

      // Each shard's queue and its session's event stream share a slot, on a master of their own.
      const nodeOfKey = new Map([...(await cluster.keysByNode())].flatMap(([p, keys]) => keys.map((k) => [k, p] as const)));
      const masters = new Set<number | undefined>();
      for (const [shard, session] of byShard) {
        const queueEvents = queueListKey(space, shard, "wait").replace(/:wait$/, ":events");
        const events = sessionKeys(space, session).events;
        expect(hashSlot(events)).toBe(hashSlot(queueEvents));
        expect(nodeOfKey.get(events), events).toBeDefined();
        expect(nodeOfKey.get(events)).toBe(nodeOfKey.get(queueEvents));
        masters.add(nodeOfKey.get(events));
      }
      expect(masters.size).toBe(3);
      expect(await deleteKeys(redisUrl(), clusterPrefix), "keys of the cluster run on the machine's Redis").toBe(0);

      run.child.kill("SIGINT");
      expect(await exitOf(run, RUNNER_GRACE_MS + 30_000)).toBe(0);
    } finally {
      await cluster.stop();
    }
  });

  it("says what is wrong with a Redis Cluster URL before starting anything, without its password", async () => {
    const down = await freePort();
    const { run } = await dev({ REDIS_URL: `redis+cluster://turnq:s3cret-pw@127.0.0.1:${down}` });
    expect(await exitOf(run)).toBe(1);
    expect(run.output()).toContain(`No node of the Redis Cluster at 127.0.0.1:${down} answered`);
    // A plain server named as a cluster is told apart, and pointed at redis://.
    const { hostname, port, username, password } = new URL(redisUrl());
    const plain = await dev({ REDIS_URL: `redis+cluster://${password ? `${username}:${password}@` : ""}${hostname}:${port}` });
    expect(await exitOf(plain.run)).toBe(1);
    expect(plain.run.output()).toContain(`Use REDIS_URL=redis://${hostname}:${port} for it`);
    for (const r of [run, plain.run]) {
      expect(r.output()).not.toContain("s3cret");
      expect(r.output(), "no stack trace").not.toMatch(/^\s+at /m);
      expect(childrenOf(r.output())).toEqual([]);
    }
  });

  it("stops everything and says so when a child dies later", async () => {
    const { run } = await dev({ WORKERS: "1" });
    await run.waitForLine(/^turnq is running/, RUNNER_DEADLINE_MS);
    const children = childrenOf(run.output());
    process.kill(children.find((c) => c.name === "worker-1")!.pid, "SIGKILL");
    expect(await exitOf(run)).toBe(1);
    expect(run.output()).toContain("worker-1 exited (SIGKILL)");
    expect(children.filter((c) => isRunning(c.pid))).toEqual([]);
  });

  it("leaves no child running when the runner itself is killed outright", async () => {
    const { run } = await dev({ WORKERS: "1" });
    await run.waitForLine(/^turnq is running/, RUNNER_DEADLINE_MS);
    const children = childrenOf(run.output());
    expect(children).toHaveLength(2);
    await run.stop("SIGKILL");
    // Nobody is left to stop them: each notices that the runner is gone (its stdin closes).
    await expect
      .poll(() => children.filter((c) => isRunning(c.pid)), { timeout: RUNNER_GRACE_MS + 30_000, interval: 100 })
      .toEqual([]);
  });

  // The README's command itself, npm above the runner. Signalled alone, as `timeout`, a supervisor
  // or an editor's stop button does: npm hands a SIGTERM on, a SIGKILL hands nothing on and the
  // runner finds itself orphaned. A Ctrl-C signals the whole group: the runner gets SIGINT from the
  // terminal and again from npm, which must not read as a second Ctrl-C ("kills at once").
  const stops: { how: string; send: (run: NpmRun) => void; says: RegExp }[] = [
    { how: "SIGTERM to npm alone", send: (run) => run.npm.kill("SIGTERM"), says: /^dev: stopping \(/m },
    { how: "SIGKILL to npm alone", send: (run) => run.npm.kill("SIGKILL"), says: /^dev: the process that started me \(pid \d+\) is gone; stopping$/m },
    { how: "Ctrl-C (SIGINT to npm's process group)", send: (run) => run.ctrlC(), says: /^dev: stopping \(/m },
  ];
  for (const { how, send, says } of stops) {
    it(`stops everything, each child in its grace, on ${how}`, async () => {
      const { vars } = await devEnv({ WORKERS: "1" });
      const run = runNpmScript("dev", { LOG_LEVEL: "info", ...vars });
      let left: number[] = [];
      try {
        await expect.poll(() => /^turnq is running/m.test(run.output()) || run.npm.exitCode !== null, { timeout: RUNNER_DEADLINE_MS, interval: 200 }).toBe(true);
        expect(run.output()).toMatch(/^turnq is running/m);
        const runner = run.below("infra/dev.ts");
        expect(runner).toBeDefined();
        const children = childrenOf(run.output());
        expect(children.map((c) => c.name).sort()).toEqual(["api", "worker-1"]);
        left = [runner!.pid, ...children.map((c) => c.pid)];

        send(run);
        await expect
          .poll(() => left.filter((pid) => isRunning(pid)), { timeout: RUNNER_GRACE_MS + 30_000, interval: 100 })
          .toEqual([]);
        // npm exits once the runner has; then every line it wrote has been read here.
        await run.closed();
        // Stopped by the runner, each child in its grace: none had to be killed at once or after it.
        expect(run.output()).toMatch(says);
        expect(run.output()).not.toMatch(/did not stop within|killing every child now/);
      } finally {
        for (const pid of left) if (isRunning(pid)) process.kill(pid, "SIGKILL");
        run.killGroup();
      }
    });
  }
});

/** The children the runner says in its output it started ("dev: started worker-1 (pid 123)"). */
function childrenOf(output: string): { name: string; pid: number }[] {
  return [...output.matchAll(/^dev: started (\S+) \(pid (\d+)\)$/gm)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
}

/** A port p such that p and p + 1 were both free (workers 1 and 2 serve metrics on them). */
function freePortPair(): Promise<number> {
  return freePort({ alsoFree: [1] });
}
