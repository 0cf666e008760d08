import { execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./free-port.ts";
import { killRedis, launchRedis } from "./redis-server.ts";

const run = promisify(execFile);

/** A Redis Cluster of the test's own on loopback: `masters` redis-servers, no replicas, no persistence. */
export interface OwnRedisCluster {
  /** REDIS_URL for turnq: redis+cluster://127.0.0.1:p1,127.0.0.1:p2,… */
  url: string;
  ports: number[];
  /** The keys each master holds (KEYS *: for small test data sets only), by port. */
  keysByNode(): Promise<Map<number, string[]>>;
  stop(): Promise<void>;
}

/**
 * Starts `masters` redis-servers with --cluster-enabled on free ports (each with its nodes.conf in a
 * temporary directory), joins them with `redis-cli --cluster create` (which gives each master an
 * equal run of the 16,384 slots) and waits until every node reports cluster_state:ok. Whatever
 * started is stopped again if a later step fails.
 */
export async function startOwnRedisCluster(masters = 3): Promise<OwnRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), "turnq-cluster-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => killRedis(c)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = await distinctFreePorts(masters);
    for (const port of ports) {
      children.push(
        await launchRedis(port, [
          "--cluster-enabled", "yes",
          "--cluster-config-file", join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout", "5000",
          "--dir", dir,
          "--save", "",
          "--appendonly", "no",
        ]),
      );
    }
    // --cluster-yes accepts the proposed layout; it returns once the nodes agree on the configuration.
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: 60_000,
    });
    await Promise.all(ports.map((p) => clusterReady(p)));
    return {
      url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
      ports,
      async keysByNode() {
        const byNode = new Map<number, string[]>();
        for (const port of ports) byNode.set(port, await onNode(port, (r) => r.keys("*")));
        return byNode;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  // A cluster node also listens on its port + 10000 (the cluster bus).
  while (ports.size < n) ports.add(await freePort({ alsoFree: [10_000] }));
  return [...ports];
}

/** Polls a node until it reports cluster_state:ok (the slots are all served), within 60 s. */
async function clusterReady(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const info = await onNode(port, (r) => r.cluster("INFO") as Promise<string>);
    if (/cluster_state:ok/.test(info)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} not ready within 60 s:\n${info}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on("error", () => {});
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}
