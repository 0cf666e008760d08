import { turnStats } from "@turnq/db";
import type { WorkerStatus } from "@turnq/queue";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";
import { callerOf } from "../caller.ts";
import { intParam } from "../query-params.ts";

/**
 * GET /v1/fleet: what an operator looks at first. Queue depth per shard (BullMQ's counts), the
 * workers that reported in the last 20 s with their turns in flight, LLM breaker and reconciler
 * repairs, and per-minute queue wait and turn duration percentiles from the turns table.
 */
export function fleetRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>().get("/v1/fleet", async (c) => {
    const minutes = intParam(c.req.query("minutes"), "minutes", 15, 1, 60);
    const [counts, workers, series] = await Promise.all([
      deps.queueCounts().catch(() => null),
      deps.workers().catch(() => []),
      // The caller's own turns: another tenant's load is not its business.
      turnStats(deps.db, { tenantId: callerOf(c).tenantId, minutes, maxTurns: 50_000 }),
    ]);
    const now = Date.now();
    return c.json({
      at: new Date(now).toISOString(),
      // One shard until the queue is sharded; `null` counts: Redis did not answer.
      shards: [{ name: "sessions", counts, inFlight: workers.reduce((n, w) => n + w.turnsInFlight, 0) }],
      workers: workers
        .map((w) => ({
          instanceId: w.instanceId,
          host: w.host,
          pid: w.pid,
          breaker: w.breaker,
          provider: w.provider ?? null,
          connectionsWarm: w.connectionsWarm,
          turnsInFlight: w.turnsInFlight,
          reconcilerRepairs: w.reconcilerRepairs ?? 0,
          lastSeenMs: now - w.at,
        }))
        .sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid),
      breakers: breakersByProvider(workers),
      reconcilerRepairs: workers.reduce((n, w) => n + (w.reconcilerRepairs ?? 0), 0),
      minutes,
      series,
    });
  });
}

/** Per LLM provider: how many workers have its breaker open (failing fast) and how many closed. */
function breakersByProvider(workers: WorkerStatus[]) {
  const by = new Map<string, { provider: string; open: number; closed: number }>();
  for (const w of workers) {
    const p = w.provider ?? "unknown";
    const entry = by.get(p) ?? { provider: p, open: 0, closed: 0 };
    if (w.breaker === "closed") entry.closed++;
    else entry.open++;
    by.set(p, entry);
  }
  return [...by.values()];
}
