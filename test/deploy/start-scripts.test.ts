import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, runningChildren, type ProcessInfo } from "../support/process-table.ts";
import { deleteKeys } from "../support/redis-keys.ts";
import { buildServerBundles, SERVER_BUNDLES } from "../support/server-bundles.ts";
import { redisUrl } from "../support/services.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { STARTUP_MS } from "./support/bundles.ts";
import { root } from "./support/manifests.ts";

/**
 * `npm run start:api` and `start:worker` as a container's command or a supervisor runs them: the
 * signal goes to npm alone. npm hands it to its script's shell; unless that shell has become the
 * app (`exec`), the app never hears it, is orphaned, and a container's end SIGKILLs it mid-turn.
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

  for (const { app, ready, env } of cases) {
    it(`hands a SIGTERM sent to npm to the ${app}, which shuts down gracefully`, async () => {
      // --ignore-scripts skips the prestart build: beforeAll built the bundles once for the file.
      const npm = spawn("npm", ["run", `start:${app}`, "--ignore-scripts"], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
          DATABASE_URL: db.url,
          REDIS_URL: redisUrl(),
          TURNQ_PREFIX: prefix,
          DB_POOL_MAX: "2",
          SHUTDOWN_GRACE_MS: "3000",
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      npm.stdout.on("data", (d: Buffer) => (output += d.toString()));
      npm.stderr.on("data", (d: Buffer) => (output += d.toString()));
      let appPid: number | undefined;
      try {
        await expect.poll(() => ready.test(output) || npm.exitCode !== null, { timeout: STARTUP_MS, interval: 200 }).toBe(true);
        expect(output).toMatch(ready);
        // The deepest match: without `exec` the shell npm started names the bundle too.
        appPid = descendantsOf(npm.pid!).findLast((p) => p.command.includes(SERVER_BUNDLES[app]))?.pid;
        expect(appPid).toBeDefined();

        npm.kill("SIGTERM");
        await expect.poll(() => isRunning(appPid!), { timeout: 30_000, interval: 100 }).toBe(false);
        // Its own graceful shutdown ran to the end (packages/core/src/shutdown.ts), not a kill.
        expect(output).toMatch(/"msg":"stopped"/);
      } finally {
        if (appPid !== undefined && isRunning(appPid)) process.kill(appPid, "SIGKILL");
        if (npm.exitCode === null && npm.signalCode === null) npm.kill("SIGKILL");
      }
    });
  }
});

/** The running processes below `pid`, its children's children included. */
function descendantsOf(pid: number): ProcessInfo[] {
  return runningChildren(pid).flatMap((c) => [c, ...descendantsOf(c.pid)]);
}
