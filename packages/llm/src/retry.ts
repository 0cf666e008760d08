import type { TurnqError } from "@turnq/core";
import { isRetryableAttemptError } from "./llm-errors.ts";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry is scheduled past this much time since the call started. */
  maxTotalMs: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * Reads the provider's wait hint. `retry-after-ms` (OpenAI, Azure) is more precise than `retry-after`,
 * which may be delta-seconds or an HTTP date. Returns undefined when absent or unparseable.
 */
export function parseRetryAfterMs(headers: Record<string, string | string[] | undefined>, nowMs: number): number | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim();
  const ms = first(headers["retry-after-ms"]);
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const ra = first(headers["retry-after"]);
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.ceil(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full jitter: spreads a herd of workers that all failed at once across the whole window. */
export function backoffDelayMs(retryNumber: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryNumber);
  return Math.floor(random() * cap);
}

export interface RetryInput {
  error: TurnqError;
  /** Attempts made so far (1 after the first failure). */
  attempts: number;
  elapsedMs: number;
  /** Time left under the whole-call deadline; a retry that cannot fit is pointless. */
  totalRemainingMs: number;
  /** A text delta reached the caller and it cannot take it back. */
  partialShown: boolean;
}

export function decideRetry(input: RetryInput, policy: RetryPolicy, random: () => number): RetryDecision {
  const { error } = input;
  if (!isRetryableAttemptError(error) || input.partialShown) return { retry: false };
  if (input.attempts >= policy.maxAttempts) return { retry: false };
  const budget = Math.min(policy.maxTotalMs - input.elapsedMs, input.totalRemainingMs);
  if (error.retryAfterMs !== undefined) {
    // The provider named its time: waiting less just burns an attempt. If it does not fit, the error
    // (which carries retryAfterMs) goes up so the queue can retry the turn later instead.
    return error.retryAfterMs < budget ? { retry: true, delayMs: error.retryAfterMs } : { retry: false };
  }
  const delayMs = backoffDelayMs(input.attempts - 1, policy, random);
  return delayMs < budget ? { retry: true, delayMs } : { retry: false };
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
