import { Redis } from "ioredis";
import { parseRedisUrl } from "@turnq/queue";

/**
 * Deletes every key under `prefix:` so a bench run leaves the shared Redis as it found it. A Redis
 * Cluster is always a test's own (redis-cluster.ts), stopped whole: nothing to delete there.
 */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  if (parseRedisUrl(url).kind === "cluster") return 0;
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  let deleted = 0;
  try {
    await r.connect();
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) deleted += await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
  return deleted;
}
