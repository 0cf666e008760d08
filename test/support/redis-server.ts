import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Redis } from "ioredis";
import { freePort } from "./free-port.ts";

/** A redis-server of the test's own on a free port, without persistence, that the test can restart. */
export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (losing everything) and starts a new one on the same port. */
  restart(): Promise<void>;
  /** SIGKILLs the server: everything it held is lost. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port (after kill). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child = await launch(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await killRedis(child);
      child = await launch(port);
    },
    kill: () => killRedis(child),
    async start() {
      child = await launch(port);
    },
    stop: () => killRedis(child),
  };
}

function launch(port: number): Promise<ChildProcess> {
  return launchRedis(port, ["--save", "", "--appendonly", "no"]);
}

/** Starts redis-server on `port` (loopback) with further arguments, and resolves once it answers PING. */
export async function launchRedis(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", ...args], {
    stdio: "ignore",
  });
  // A busy machine can take a while to start it; a server that never answers is not left running.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited at start on port ${port} (${child.exitCode ?? child.signalCode})`);
    }
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return child;
    } catch {
      if (Date.now() > deadline) {
        await killRedis(child);
        throw new Error(`redis-server did not answer on port ${port} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
}

export async function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
