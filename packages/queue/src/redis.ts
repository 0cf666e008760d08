import { Cluster, Redis, type RedisOptions } from "ioredis";
import { keySpace, type KeySpace } from "./keys.ts";

export type RedisRole =
  /** Used by BullMQ workers and blocking commands: retry forever while Redis is away (BullMQ's rule). */
  | "worker"
  /** Used on request paths: fail fast so an API request never hangs on a missing Redis. */
  | "producer"
  /** A connection in subscriber mode (pub/sub). */
  | "subscriber";

/**
 * Where Redis is, parsed from REDIS_URL: one server (`redis://`, `rediss://` for TLS), or a Redis
 * Cluster named by some of its nodes (`redis+cluster://[user:password@]host:port,host:port,…`,
 * `rediss+cluster://` for TLS): the client learns the other nodes from any of them (CLUSTER SLOTS),
 * so the list needs only the nodes that may be up when a process starts.
 */
export type RedisTarget =
  | { kind: "single"; url: string }
  | { kind: "cluster"; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

export function parseRedisUrl(url: string): RedisTarget {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m) return { kind: "single", url };
  const [, scheme, userinfo, hosts] = m as unknown as [string, string, string | undefined, string];
  const nodes = hosts.split(",").map((hostPort) => {
    const at = hostPort.lastIndexOf(":");
    const port = Number(hostPort.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
      throw new Error(`REDIS_URL: cluster node "${hostPort}" is not host:port, e.g. redis+cluster://10.0.0.1:6379,10.0.0.2:6379`);
    }
    return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ""), port };
  });
  const colon = userinfo?.indexOf(":") ?? -1;
  const username = userinfo === undefined ? "" : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined || colon < 0 ? "" : decodeURIComponent(userinfo.slice(colon + 1));
  return { kind: "cluster", nodes, tls: scheme === "rediss", ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * One place that encodes BullMQ's production checklist for connections: `maxRetriesPerRequest: null`
 * for workers, fail-fast producers, and an `error` listener on every connection (an ioredis client
 * without one crashes the process on the first network blip).
 *
 * For a cluster URL this is an ioredis `Cluster`, typed as `Redis`: ioredis gives both the same
 * command interface (and BullMQ detects a cluster itself). What differs is handled where it matters:
 * commands about one server (CLIENT LIST) go to every node (`clientNames`), and pub/sub works as
 * on one server (PUBLISH reaches subscribers on every node; the cluster client keeps its
 * subscriptions on one node and moves them when that node fails).
 */
export function createRedis(
  url: string,
  role: RedisRole,
  onError: (err: Error) => void,
  opts: { autoPipelining?: boolean; /** CLIENT SETNAME, re-applied on every reconnect; default turnq-<role>. */ name?: string } = {},
): Redis {
  const target = parseRedisUrl(url);
  const options: RedisOptions = {
    maxRetriesPerRequest: role === "producer" ? 1 : null,
    enableOfflineQueue: role !== "producer",
    connectionName: opts.name ?? `turnq-${role}`,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    lazyConnect: false,
  };
  // Commands issued in the same event-loop turn leave in one write (one syscall instead of one
  // each). Only for turnq's own connections: BullMQ's are left as BullMQ expects them.
  const enableAutoPipelining = opts.autoPipelining ?? false;
  const redis =
    target.kind === "single"
      ? new Redis(url, { ...options, enableAutoPipelining })
      : (new Cluster(target.nodes, {
          enableAutoPipelining,
          enableOfflineQueue: options.enableOfflineQueue ?? true,
          clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
          // ioredis gives CLUSTER SLOTS 1 s; a busy node (or machine) can take longer, and a timed-out
          // refresh at start-up leaves the client not ready (producers then fail their commands).
          slotsRefreshTimeout: 5_000,
          redisOptions: {
            ...options,
            ...(target.username ? { username: target.username } : {}),
            ...(target.password ? { password: target.password } : {}),
            ...(target.tls ? { tls: {} } : {}),
          },
        }) as unknown as Redis);
  redis.on("error", onError);
  return redis;
}

/**
 * A worker's presence connection (keys.ts presenceClientName): idle, open as long as the process.
 * On a cluster it is a plain connection to the first node of the URL, since a cluster client only
 * connects to a node when a command needs it. (If that node is gone for good, other workers take
 * this worker's sessions after DEAD_WORKER_SWEEP_MS: safe, the claim fences the turns, but they run
 * again; list a node that stays.)
 */
export function createPresenceConnection(url: string, name: string, onError: (err: Error) => void): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === "single") return createRedis(url, "subscriber", onError, { name });
  const redis = new Redis({
    ...target.nodes[0]!,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    connectionName: name,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on("error", onError);
  return redis;
}

/** The deployment's key layout (keys.ts): tagged on a cluster or with more than one shard. */
export function keySpaceFor(env: { REDIS_URL: string; TURNQ_PREFIX: string; QUEUE_SHARDS: number }): KeySpace {
  return keySpace(env.TURNQ_PREFIX, { shards: env.QUEUE_SHARDS, cluster: parseRedisUrl(env.REDIS_URL).kind === "cluster" });
}

/** True for a client createRedis made for a cluster URL. */
export function isCluster(redis: Redis): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * CLIENT SETNAME names of every normal connection: of the one server, or of every node of a
 * cluster (a connection is listed only by the node it is connected to).
 */
export async function clientNames(redis: Redis): Promise<Set<string>> {
  const servers = isCluster(redis) ? (redis as unknown as Cluster).nodes("all") : [redis];
  const lists = await Promise.all(servers.map((s) => s.call("CLIENT", "LIST", "TYPE", "normal") as Promise<string>));
  return new Set(lists.flatMap((list) => [...list.matchAll(/ name=(\S+)/g)].map((m) => m[1]!)));
}

/**
 * Resolves once the connection is ready. Errors on the way (Redis not up yet) are left to the
 * connection's retry strategy; `events.once(redis, "ready")` would reject on the first of them, and
 * a process starting while Redis restarts would die of it.
 */
export function whenReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => redis.once("ready", () => resolve()));
}
