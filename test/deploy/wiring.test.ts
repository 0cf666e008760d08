import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { startSimulator, type Simulator } from "@turnq/llm-simulator";
import { keySpace, queueListKey } from "@turnq/queue";
import { Redis } from "ioredis";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropDatabase } from "../support/databases.ts";
import { createSession, get, post, waitTurn } from "../support/http.ts";
import { startProcess, type AppProcess } from "../support/processes.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { databaseUrl, redisUrl } from "../support/services.ts";
import { keyForApi } from "../support/tenants.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { freePort } from "../support/free-port.ts";
import { buildServerBundles } from "../support/server-bundles.ts";
import { STARTUP_MS } from "./support/bundles.ts";
import { find, render, root, type K8sObject } from "./support/manifests.ts";

/**
 * The manifests against running processes: the API, a worker and the migration started with the
 * Deployments' and the Job's own commands and environment (ConfigMap and literal env), on the
 * production bundles. Only what must differ on a shared test machine is replaced: database, Redis
 * prefix, LLM URL, loopback addresses and free ports.
 */
// Each test may wait for a process to start on a busy machine.
describe("the Kubernetes manifests, wired to running turnq processes", { timeout: 3 * STARTUP_MS }, () => {
  const objects = render("deploy/k8s/base");
  const config = find(objects, "ConfigMap", "turnq-config");
  const scaled = find(objects, "ScaledObject", "turnq-worker");
  const prefix = `t${randomBytes(4).toString("hex")}`;
  let db: TestDatabase;
  let sim: Simulator;
  let redis: Redis;
  let api: AppProcess | undefined;
  let worker: AppProcess | undefined;
  let apiUrl: string;
  let metricsUrl: string;
  const started: AppProcess[] = [];

  const container = (o: K8sObject) => o.spec.template.spec.containers[0];
  /** Starts a Deployment's or Job's container command with its env, plus `env` on top. */
  function run(o: K8sObject, name: string, env: Record<string, string>): AppProcess {
    const c = container(o);
    const literal = Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    const fromConfig = c.envFrom?.some((f: any) => f.configMapRef?.name === config.metadata.name) ? config.data : {};
    const [node, ...args] = c.command as string[];
    expect(node).toBe("node");
    const p = startProcess(name, args.at(-1)!, { ...fromConfig, ...literal, ...env }, args.slice(0, -1));
    started.push(p);
    return p;
  }
  /** The exit code, once the process ends by itself. */
  const exitCode = async (p: AppProcess) =>
    p.child.exitCode ?? (p.child.signalCode ? null : ((await once(p.child, "exit"))[0] as number | null));
  const healthcheck = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["infra/container-healthcheck.ts"], { cwd: root, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" }).status;
  /** Healthy as Docker judges it: one of a few tries passes (HEALTHCHECK --retries=3). */
  const becomesHealthy = (env: Record<string, string>) => expect.poll(() => healthcheck(env), { timeout: 30_000 }).toBe(0);

  beforeAll(async () => {
    buildServerBundles();
    db = await createTestDatabase();
    sim = await startSimulator({});
    redis = new Redis(redisUrl());
  }, 3 * STARTUP_MS);
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop("SIGKILL")));
    await sim?.close();
    await db?.drop();
    await deleteKeys(redisUrl(), prefix).catch(() => 0);
    redis?.disconnect();
  });

  const appEnv = () => ({ DATABASE_URL: db.url, REDIS_URL: redisUrl(), TURNQ_PREFIX: prefix, DB_POOL_MAX: "4", LLM_BASE_URL: sim.url });

  it("the migration Job's command creates and migrates a new database", async () => {
    const name = `turnq_deploy_${randomBytes(4).toString("hex")}`;
    try {
      const job = run(find(objects, "Job", "turnq-migrate"), "migrate", { DATABASE_URL: databaseUrl(name) });
      await job.waitForLine(/migrations applied/, STARTUP_MS);
      expect(await exitCode(job)).toBe(0);
      const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql`select count(*)::int as n from turns`;
        expect(row!.n).toBe(0);
      } finally {
        await sql.end({ timeout: 5 });
      }
    } finally {
      await dropDatabase(name);
    }
  });

  it("without configuration, each command stops with one line per missing variable and no stack trace", async () => {
    const expected = {
      "turnq-migrate": ["DATABASE_URL is required"],
      "turnq-api": ["DATABASE_URL is required"],
      "turnq-worker": ["DATABASE_URL is required", "LLM_BASE_URL is required"],
    };
    for (const [name, lines] of Object.entries(expected)) {
      const o = objects.find((x) => x.metadata.name === name && x.spec?.template)!;
      const [, ...args] = container(o).command as string[];
      // Nothing but PATH: a fresh clone with no .env (the commands load none).
      const r = spawnSync(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH }, encoding: "utf8" });
      expect(r.status, name).toBe(1);
      const out = (r.stdout + r.stderr).trim().split("\n");
      expect(out[0], name).toMatch(/^Invalid configuration; set these environment variables .*\.env\.example/);
      expect(out.length, `${name}: ${out.join("\n")}`).toBe(1 + lines.length);
      lines.forEach((l, i) => expect(out[i + 1]!.trim().startsWith(l), `${name}: ${out[i + 1]}`).toBe(true));
      expect(r.stderr, name).not.toMatch(/^\s+at /m);
    }
  });

  it("the API answers its probes and /metrics on PORT", async () => {
    const port = await freePort();
    api = run(find(objects, "Deployment", "turnq-api"), "api", { ...appEnv(), HOST: "127.0.0.1", PORT: String(port) });
    await api.waitForLine(/turnq api listening/, STARTUP_MS);
    apiUrl = `http://127.0.0.1:${port}`;
    await keyForApi(db.db, apiUrl);
    expect(await get(apiUrl, "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await get(apiUrl, "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    const metrics = await fetch(`${apiUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^turnq_queue_depth\{/m);
    // The image's HEALTHCHECK sees the API (the worker's port is closed here).
    await becomesHealthy({ PORT: String(port), METRICS_PORT: String(await freePort()) });
    expect(healthcheck({ PORT: String(await freePort()), METRICS_PORT: String(await freePort()) })).toBe(1);
  });

  let firstTurn: string;
  it("a turn submitted while no worker runs waits in the Redis list the KEDA trigger watches", async () => {
    const session = await createSession(apiUrl);
    const submitted = await post(apiUrl, `/v1/sessions/${session}/turns`, { input: "waiting for a worker" });
    expect(submitted.status).toBe(202);
    firstTurn = submitted.body.id;
    // The trigger's list name with this test's prefix in place of the ConfigMap's.
    const waitTrigger = (scaled.spec.triggers as any[]).find((t) => t.name === "wait");
    const watched = (waitTrigger.metadata.listName as string).replace(`${config.data!.TURNQ_PREFIX}:`, `${prefix}:`);
    expect(watched).toBe(queueListKey(keySpace(prefix), 0, "wait"));
    expect(await redis.type(watched)).toBe("list");
    const jobs = await redis.lrange(watched, 0, -1);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatch(new RegExp(`^drain-${session}-`));
  });

  it("a worker answers its probes on METRICS_PORT, runs jobs from the active list, and is not ready while it shuts down", async () => {
    const port = await freePort();
    worker = run(find(objects, "Deployment", "turnq-worker"), "worker", { ...appEnv(), METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) });
    await worker.waitForLine(/turnq worker started/, STARTUP_MS);
    metricsUrl = `http://127.0.0.1:${port}`;
    expect(await get(metricsUrl, "/healthz")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await get(metricsUrl, "/readyz")).toMatchObject({ status: 200, body: { status: "ready" } });
    await becomesHealthy({ PORT: String(await freePort()), METRICS_PORT: String(port) });
    expect((await waitTurn(apiUrl, firstTurn)).status).toBe("completed");

    // A slow turn: while it runs its drain job is in the `active` list, the trigger's other list.
    const session = await createSession(apiUrl);
    const slow = await post(apiUrl, `/v1/sessions/${session}/turns`, { input: "take your time [[sim delay=4000]]" });
    const activeTrigger = (scaled.spec.triggers as any[]).find((t) => t.name === "active");
    const active = (activeTrigger.metadata.listName as string).replace(`${config.data!.TURNQ_PREFIX}:`, `${prefix}:`);
    await expect.poll(() => redis.lrange(active, 0, -1), { timeout: 20_000 }).toEqual([expect.stringMatching(new RegExp(`^drain-${session}-`))]);
    expect(await redis.llen(queueListKey(keySpace(prefix), 0, "wait"))).toBe(0);

    // SIGTERM with the turn running: not ready at once, the turn still finishes within the grace.
    worker.child.kill("SIGTERM");
    await expect.poll(async () => (await fetch(`${metricsUrl}/readyz`)).status, { timeout: 10_000 }).toBe(503);
    expect(await get(metricsUrl, "/healthz")).toMatchObject({ status: 200 });
    expect((await waitTurn(apiUrl, slow.body.id)).status).toBe("completed");
    expect(await exitCode(worker)).toBe(0);
  });
});
