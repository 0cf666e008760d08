import type { BreakerState } from "./types.ts";

/**
 * Consecutive-failure breaker, one per client (one client per provider+model origin). While open,
 * calls fail fast instead of piling up against a provider that is down; after `openMs` a single trial
 * call is let through (half-open) and its outcome decides. Only failures that survived retries count.
 */
export interface CircuitBreaker {
  /** Admits a call, or says how long until the breaker will admit one. */
  acquire(): { ok: true; trial: boolean } | { ok: false; retryAfterMs: number };
  onSuccess(): void;
  onFailure(): void;
  /** The admitted call ended without telling us anything about the provider (caller aborted). */
  onNeutral(trial: boolean): void;
  state(): BreakerState;
}

export interface BreakerConfig {
  failureThreshold: number;
  openMs: number;
  clock: () => number;
}

export function createCircuitBreaker(cfg: BreakerConfig): CircuitBreaker {
  let failures = 0;
  let openedAt: number | undefined;
  let trialInFlight = false;

  const current = (): BreakerState => {
    if (openedAt === undefined) return "closed";
    return cfg.clock() - openedAt >= cfg.openMs ? "half_open" : "open";
  };

  return {
    acquire() {
      const s = current();
      if (s === "closed") return { ok: true, trial: false };
      if (s === "half_open" && !trialInFlight) {
        trialInFlight = true;
        return { ok: true, trial: true };
      }
      // Open, or half-open with the trial still running: the trial's outcome will decide soon.
      const left = openedAt === undefined ? 0 : cfg.openMs - (cfg.clock() - openedAt);
      return { ok: false, retryAfterMs: Math.max(left, 1) };
    },
    onSuccess() {
      failures = 0;
      openedAt = undefined;
      trialInFlight = false;
    },
    onFailure() {
      failures++;
      if (trialInFlight || failures >= cfg.failureThreshold) {
        openedAt = cfg.clock();
      }
      trialInFlight = false;
    },
    onNeutral(trial) {
      if (trial) trialInFlight = false;
    },
    state: current,
  };
}
