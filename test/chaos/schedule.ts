import type { RedisPersistence } from "./redis-control.ts";

/** One fault of a chaos run, `at` ms after the load started. */
export type Fault =
  /** SIGKILL a worker (which one: `pick` × the workers running then), start a new one `restartAfterMs` later. */
  | { at: number; kind: "kill-worker"; pick: number; restartAfterMs: number }
  /** SIGKILL redis-server and start it again after `downMs`; `persistence` is what it runs with at the kill. */
  | { at: number; kind: "restart-redis"; persistence: RedisPersistence; downMs: number }
  /** `pg_ctl stop -m immediate`, start again after `downMs`. */
  | { at: number; kind: "restart-postgres"; downMs: number };

export interface ScheduleShape {
  /** How long faults are injected (the load runs as long). */
  durationMs: number;
  workerKills: number;
  /** Redis restarts, in order: "none" ones first (queued jobs lost), then "aof" ones. */
  redisRestarts: RedisPersistence[];
  postgresRestarts: number;
}

export interface Schedule {
  seed: number;
  durationMs: number;
  faults: Fault[];
}

/**
 * The seeded, bounded fault schedule: the same seed and shape give the same faults at the same
 * times. Redis and Postgres faults get slots of their own (one at a time, in the middle of the run,
 * their outage inside the slot) so every one of them is seen on its own; worker kills fall anywhere,
 * also during the others.
 */
export function makeSchedule(seed: number, shape: ScheduleShape): Schedule {
  const random = mulberry32(seed);
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const faults: Fault[] = [];
  // Interleaved (redis none, postgres, redis aof, …): the two services' faults alternate.
  const order = interleave<"redis" | "postgres">(
    shape.redisRestarts.map(() => "redis"),
    Array.from({ length: shape.postgresRestarts }, () => "postgres"),
  );
  const slot = (shape.durationMs * 0.8) / Math.max(1, order.length);
  const redisModes = [...shape.redisRestarts];
  order.forEach((service, i) => {
    const start = shape.durationMs * 0.1 + i * slot;
    const at = start + between(0, slot * 0.3);
    const downMs = between(1_000, Math.min(4_000, slot * 0.4));
    faults.push(service === "redis" ? { at, kind: "restart-redis", persistence: redisModes.shift()!, downMs } : { at, kind: "restart-postgres", downMs });
  });
  for (let k = 0; k < shape.workerKills; k++) {
    faults.push({ at: between(shape.durationMs * 0.05, shape.durationMs * 0.95), kind: "kill-worker", pick: random(), restartAfterMs: between(200, 3_000) });
  }
  faults.sort((a, b) => a.at - b.at);
  return { seed, durationMs: shape.durationMs, faults };
}

/** What a fault acts on; the run (chaos-run.ts) provides it. */
export interface FaultTargets {
  killWorker(pick: number): Promise<void>;
  startWorker(): Promise<void>;
  redis: { kill(): Promise<void>; start(): Promise<void>; enableAof(): Promise<void>; persistence(): RedisPersistence };
  postgres: { crash(): Promise<void>; start(): Promise<void> };
  log(message: string): void;
}

/**
 * Plays the schedule from `startedAt` (Date.now()). Resolves with the time the last fault ended (the
 * last service or worker back), from which the run's drain time is measured.
 */
export async function playSchedule(schedule: Schedule, targets: FaultTargets, startedAt: number): Promise<number> {
  let lastEnd = startedAt;
  const ended = () => (lastEnd = Math.max(lastEnd, Date.now()));
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  const pending: Promise<unknown>[] = [];
  for (const fault of schedule.faults) {
    await sleepUntil(startedAt + fault.at);
    if (fault.kind === "kill-worker") {
      await targets.killWorker(fault.pick);
      pending.push(sleepUntil(Date.now() + fault.restartAfterMs).then(() => targets.startWorker()).then(ended));
    } else if (fault.kind === "restart-redis") {
      if (fault.persistence === "aof" && targets.redis.persistence() !== "aof") await targets.redis.enableAof();
      targets.log(`redis: kill (persistence ${fault.persistence}), down ${fault.downMs} ms`);
      await targets.redis.kill();
      await sleepUntil(Date.now() + fault.downMs);
      await targets.redis.start();
      ended();
    } else {
      targets.log(`postgres: stop -m immediate, down ${fault.downMs} ms`);
      await targets.postgres.crash();
      await sleepUntil(Date.now() + fault.downMs);
      await targets.postgres.start();
      ended();
    }
  }
  await Promise.all(pending);
  return ended();
}

function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

/** A small, well-known seeded PRNG (32-bit state): enough to replay a schedule exactly. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
