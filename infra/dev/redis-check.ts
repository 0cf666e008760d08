import { parseRedisUrl, type RedisTarget } from "@turnq/queue";
import { Cluster, Redis } from "ioredis";
import { DevFailure } from "./supervisor.ts";

/** What `npm run dev` found at REDIS_URL. */
export type RedisFound = { kind: "single" } | { kind: "cluster"; masters: number };

/**
 * Before anything starts: is Redis there, one server or a Redis Cluster (REDIS_URL, README:
 * Production)? For a cluster, every slot must be served (`cluster_state:ok`), or the API and workers
 * would start and then fail their first commands. One attempt, no retries: a user who forgot to
 * start Redis is told at once. Messages name the nodes, never the URL's password.
 */
export async function checkRedis(url: string): Promise<RedisFound> {
  let target: RedisTarget;
  try {
    target = parseRedisUrl(url);
  } catch (err) {
    throw new DevFailure(`${(err as Error).message} (set REDIS_URL in .env, see .env.example)`);
  }
  return target.kind === "single" ? checkServer(url) : checkCluster(target);
}

async function checkServer(url: string): Promise<RedisFound> {
  const r = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
    return { kind: "single" };
  } catch (err) {
    throw new DevFailure(`Redis is not reachable at ${withoutPassword(url)} (${(err as Error).message}).\n` +
      `Start it (redis-server --daemonize yes) or: docker compose -f infra/compose.yaml up -d redis postgres`);
  } finally {
    r.disconnect();
  }
}

async function checkCluster(target: ClusterTarget): Promise<RedisFound> {
  const where = target.nodes.map((n) => `${n.host}:${n.port}`).join(",");
  const cluster = new Cluster(target.nodes, {
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    slotsRefreshTimeout: 5_000,
    redisOptions: { maxRetriesPerRequest: 0, ...credentials(target) },
  });
  cluster.on("error", () => {});
  try {
    try {
      await cluster.connect();
    } catch (err) {
      const first = target.nodes[0]!;
      if (await isPlainServer(target, first)) {
        throw new DevFailure(`Redis at ${first.host}:${first.port} is a single server, not a cluster node (cluster_enabled:0).\n` +
          `Use REDIS_URL=redis://${first.host}:${first.port} for it, or name the nodes of a Redis Cluster`);
      }
      throw new DevFailure(`No node of the Redis Cluster at ${where} answered (${(err as Error).message}).\n` +
        `Start the cluster's nodes, or list nodes that are up in REDIS_URL=redis+cluster://host:port,host:port`);
    }
    const masters = cluster.nodes("master");
    // Every node answers for the whole cluster; the first one the client knows will do.
    const info = String(await masters[0]!.cluster("INFO"));
    if (!/^cluster_state:ok\b/m.test(info)) {
      throw new DevFailure(`The Redis Cluster at ${where} is not serving every slot (${/^cluster_state:\S+/m.exec(info)?.[0] ?? "no cluster_state"}).\n` +
        `Finish setting it up (redis-cli --cluster create …, or redis-cli --cluster fix <host:port>) and start again`);
    }
    return { kind: "cluster", masters: masters.length };
  } finally {
    cluster.disconnect();
  }
}

/** True when `node` answers as a Redis without cluster support (a redis:// URL was meant). */
async function isPlainServer(target: ClusterTarget, node: { host: string; port: number }): Promise<boolean> {
  const r = new Redis({ ...node, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...credentials(target) });
  r.on("error", () => {});
  try {
    await r.connect();
    return /^cluster_enabled:0\b/m.test(await r.info("cluster"));
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

type ClusterTarget = Extract<RedisTarget, { kind: "cluster" }>;

function credentials(target: ClusterTarget): { username?: string; password?: string; tls?: object } {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
}

/** The URL as it may be printed: its password (if any) replaced by "***". */
function withoutPassword(url: string): string {
  if (!URL.canParse(url)) return "REDIS_URL";
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
