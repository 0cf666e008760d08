import type { Redis } from "ioredis";
import { workersKey } from "./keys.ts";

export interface WorkerStatus {
  instanceId: string;
  host: string;
  pid: number;
  /** The LLM client's circuit breaker: "open" means this worker fails LLM calls fast right now. */
  breaker: string;
  /** The LLM provider the breaker guards (absent from older workers). */
  provider?: string;
  connectionsWarm: boolean;
  turnsInFlight: number;
  /** Sessions this worker's reconciler re-announced since it started (absent from older workers). */
  reconcilerRepairs?: number;
  at: number;
}

const staleAfterMs = 20_000;

/**
 * Each worker reports its status every few seconds into one Redis hash, so any API process can show
 * the fleet (how many workers, whose breaker is open) in /readyz without talking to workers.
 */
export function startWorkerHeartbeat(redis: Redis, prefix: string, status: () => Omit<WorkerStatus, "at">, everyMs = 5_000) {
  const key = workersKey(prefix);
  const beat = () => void redis.hset(key, status().instanceId, JSON.stringify({ ...status(), at: Date.now() })).catch(() => {});
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.hdel(key, status().instanceId).catch(() => {});
    },
  };
}

/** The workers that reported recently; stale entries (crashed workers) are removed on the way. */
export async function readWorkerStatuses(redis: Redis, prefix: string): Promise<WorkerStatus[]> {
  const key = workersKey(prefix);
  const all = await redis.hgetall(key);
  const now = Date.now();
  const live: WorkerStatus[] = [];
  for (const [id, raw] of Object.entries(all)) {
    const s = JSON.parse(raw) as WorkerStatus;
    if (now - s.at > staleAfterMs) void redis.hdel(key, id).catch(() => {});
    else live.push(s);
  }
  return live;
}
