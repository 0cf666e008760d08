import type { LlmClientOptions, LlmObserver, Sleep } from "./types.ts";
import type { RetryPolicy } from "./retry.ts";
import { defaultSleep } from "./retry.ts";

/** Options with every default filled in, validated once at construction. */
export interface ClientConfig {
  connections: number;
  /** Connections warm() opens, and how long it may take in all. */
  warm: { connections: number; timeoutMs: number };
  deadlines: { connectMs: number; firstByteMs: number; idleMs: number; totalMs: number };
  retry: RetryPolicy;
  breaker: { failureThreshold: number; openMs: number };
  clock: () => number;
  random: () => number;
  sleep: Sleep;
  observer: LlmObserver;
}

export const DEFAULTS = {
  connections: 16,
  // A few warm sockets are what the first turns need; the pool grows on demand after that. Opening
  // one per slot against an unreachable host used to keep hundreds of connects in flight.
  warm: { maxConnections: 4, timeoutMs: 5_000 },
  deadlines: { connectMs: 5_000, firstByteMs: 30_000, idleMs: 30_000, totalMs: 120_000 },
  retry: { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 10_000, maxTotalMs: 60_000 },
  breaker: { failureThreshold: 5, openMs: 10_000 },
} as const;

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

/** `defaults` with the given fields that are set (an explicit undefined keeps the default). */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const set = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
  return { ...defaults, ...Object.fromEntries(set) };
}

export function resolveConfig(o: LlmClientOptions): ClientConfig {
  const dl = withDefaults<{ connectMs: number; firstByteMs: number; idleMs: number; totalMs: number }>(DEFAULTS.deadlines, o.deadlines);
  const rt = withDefaults<ClientConfig["retry"]>(DEFAULTS.retry, o.retry);
  const br = withDefaults<ClientConfig["breaker"]>(DEFAULTS.breaker, o.breaker);
  const connections = Math.floor(positive("pool.connections", o.pool?.connections ?? DEFAULTS.connections));
  return {
    connections,
    warm: {
      connections: Math.min(connections, Math.floor(positive("warm.connections", o.warm?.connections ?? DEFAULTS.warm.maxConnections))),
      timeoutMs: positive("warm.timeoutMs", o.warm?.timeoutMs ?? DEFAULTS.warm.timeoutMs),
    },
    deadlines: {
      connectMs: positive("deadlines.connectMs", dl.connectMs),
      firstByteMs: positive("deadlines.firstByteMs", dl.firstByteMs),
      idleMs: positive("deadlines.idleMs", dl.idleMs),
      totalMs: positive("deadlines.totalMs", dl.totalMs),
    },
    retry: {
      maxAttempts: Math.floor(positive("retry.maxAttempts", rt.maxAttempts)),
      baseDelayMs: Math.max(0, rt.baseDelayMs),
      maxDelayMs: Math.max(0, rt.maxDelayMs),
      maxTotalMs: Math.max(0, rt.maxTotalMs),
    },
    breaker: {
      failureThreshold: Math.floor(positive("breaker.failureThreshold", br.failureThreshold)),
      openMs: Math.max(0, br.openMs),
    },
    // Monotonic by default: durations, budgets and the breaker window must not jump with NTP.
    // (HTTP-date Retry-After values are compared against Date.now() separately.)
    clock: o.clock ?? (() => performance.now()),
    random: o.random ?? Math.random,
    sleep: o.sleep ?? defaultSleep,
    observer: o.observer ?? {},
  };
}
