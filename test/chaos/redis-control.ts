import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "../support/free-port.ts";
import { killRedis, launchRedis } from "../support/redis-server.ts";

export type RedisPersistence = "none" | "aof";

/** The chaos run's own redis-server: killed with SIGKILL and started again on the same port and directory. */
export interface ChaosRedis {
  url: string;
  persistence(): RedisPersistence;
  /** SIGKILL: whatever was not persisted is gone. */
  kill(): Promise<void>;
  /** Starts it again; with AOF on it loads what the log holds. */
  start(): Promise<void>;
  /** Turns on AOF with `appendfsync always` (every write fsynced before it is answered) from now on. */
  enableAof(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosRedis(dir: string): Promise<ChaosRedis> {
  const port = await freePort();
  let persistence: RedisPersistence = "none";
  const args = () => [
    "--dir",
    dir,
    "--save",
    "",
    ...(persistence === "aof" ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  ];
  let child: ChildProcess | undefined = await launchRedis(port, args());
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    persistence: () => persistence,
    async kill() {
      if (child) await killRedis(child);
      child = undefined;
    },
    async start() {
      child = await launchRedis(port, args());
    },
    async enableAof() {
      const admin = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        await admin.config("SET", "appendfsync", "always");
        await admin.config("SET", "appendonly", "yes");
        // Enabling AOF writes a base file of the whole dataset in the background first.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const info = await admin.info("persistence");
          if (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
          if (Date.now() > deadline) throw new Error(`redis did not finish enabling AOF within 30 s:\n${info}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        persistence = "aof";
      } finally {
        admin.disconnect();
      }
    },
    async stop() {
      if (child) await killRedis(child);
      child = undefined;
    },
  };
}
