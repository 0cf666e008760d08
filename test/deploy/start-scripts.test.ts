import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNpmScript, type NpmRun } from "../support/npm-script.ts";
import { isRunning } from "../support/process-table.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { buildServerBundles, SERVER_BUNDLES } from "../support/server-bundles.ts";
import { redisUrl } from "../support/services.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { STARTUP_MS } from "./support/bundles.ts";

/**
 * `npm run start:api` and `start:worker` as a container's command or a supervisor runs them, the
 * signal goes to npm alone. npm hands it to its script's shell; unless that shell has become the
 * app (`exec`), the app never hears it, is orphaned, and a container's end SIGKILLs it mid-turn.
 * In a terminal, a Ctrl-C then reaches the app twice, and the second must not cut its shutdown short.
 */
describe("npm run start:api / start:worker", { timeout: 3 * STARTUP_MS }, () => {
  const prefix = `t${randomBytes(4).toString("hex")}`;
  let db: TestDatabase;

  beforeAll(async () => {
    buildServerBundles();
    db = await createTestDatabase();
  }, 3 * STARTUP_MS);
  afterAll(async () => {
    await db?.drop();
    await deleteKeys(redisUrl(), prefix).catch(() => 0);
  });

  const cases = [
    { app: "api", ready: /turnq api listening/, env: { PORT: "0" } },
    { app: "worker", ready: /turnq worker started/, env: { LLM_BASE_URL: "http://127.0.0.1:9/v1", METRICS_PORT: "0" } },
  ] as const;

  // SIGTERM to npm alone, as a container runtime or a supervisor sends it; a Ctrl-C in a terminal,
  // which reaches the app twice: from the terminal, and forwarded by npm.
  const stops: { how: string; send: (run: NpmRun) => void }[] = [
    { how: "SIGTERM to npm alone", send: (run) => run.npm.kill("SIGTERM") },
    { how: "Ctrl-C (SIGINT to npm's process group)", send: (run) => run.ctrlC() },
  ];
  for (const { app, ready, env } of cases) for (const { how, send } of stops) {
    it(`shuts the ${app} down gracefully on ${how}`, async () => {
      // --ignore-scripts skips the prestart build: beforeAll built the bundles once for the file.
      const run = runNpmScript(`start:${app}`, {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl(),
        TURNQ_PREFIX: prefix,
        DB_POOL_MAX: "2",
        SHUTDOWN_GRACE_MS: "3000",
        ...env,
      }, ["--ignore-scripts"]);
      let appPid: number | undefined;
      try {
        await expect.poll(() => ready.test(run.output()) || run.npm.exitCode !== null, { timeout: STARTUP_MS, interval: 200 }).toBe(true);
        expect(run.output()).toMatch(ready);
        appPid = run.below(SERVER_BUNDLES[app])?.pid;
        expect(appPid).toBeDefined();

        send(run);
        await expect.poll(() => isRunning(appPid!), { timeout: 30_000, interval: 100 }).toBe(false);
        // npm exits once the app has; then every line the app wrote has been read here.
        await run.closed();
        // Its own graceful shutdown ran to the end (packages/core/src/shutdown.ts), not a kill.
        expect(run.output()).toMatch(/"msg":"stopped"/);
      } finally {
        if (appPid !== undefined && isRunning(appPid)) process.kill(appPid, "SIGKILL");
        run.killGroup();
      }
    });
  }
});
