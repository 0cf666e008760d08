/**
 * The closed set of error codes turnq can return or record. HTTP status and retryability are decided
 * here, once, by exhaustive switches: adding a code without deciding both is a type error.
 */
export const errorCodes = [
  "invalid_json",
  "invalid_request",
  "validation_failed",
  "unsupported_media_type",
  "payload_too_large",
  "not_found",
  "unauthorized",
  "idempotency_key_reused",
  "session_busy",
  "method_not_allowed",
  "not_ready",
  "database_unavailable",
  "internal",
  // Refused at the edge: JSON nested too deep, text Postgres cannot store, HTTP-level faults.
  "json_too_deep",
  "unsupported_character",
  "headers_too_large",
  "request_timeout",
  "expectation_failed",
  // Admission (nothing stored): over a rate limit or quota (429), or the queue is full (503).
  "rate_limited",
  "session_queue_full",
  "tenant_sessions_limit",
  "queue_full",
  // A webhook delivery still being retried cannot be redelivered by hand yet.
  "delivery_in_progress",
  // Recorded on turns by the worker.
  "llm_rate_limited",
  "llm_unavailable",
  "llm_timeout",
  "llm_bad_response",
  "llm_rejected",
  "turn_attempts_exhausted",
  "lease_lost",
  "cancelled",
  "agent_limit_reached",
  "token_budget_exhausted",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class TurnqError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable fields, merged into the problem+json body. Never put secrets here. */
  readonly details: Record<string, unknown> | undefined;
  /** Milliseconds the caller should wait before retrying, when the cause said so (e.g. Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "TurnqError";
    this.code = code;
    this.details = opts.details;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isTurnqError(e: unknown): e is TurnqError {
  return e instanceof TurnqError;
}

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case "invalid_json":
    case "invalid_request":
    case "json_too_deep":
      return 400;
    case "validation_failed":
    case "unsupported_character":
      return 422;
    case "request_timeout":
      return 408;
    case "headers_too_large":
      return 431;
    case "expectation_failed":
      return 417;
    case "not_found":
      return 404;
    case "unauthorized":
      return 401;
    case "method_not_allowed":
      return 405;
    case "session_busy":
    case "delivery_in_progress":
      return 409;
    case "idempotency_key_reused":
      return 422;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "not_ready":
    case "database_unavailable":
    case "llm_unavailable":
      return 503;
    case "llm_rate_limited":
    case "rate_limited":
    case "session_queue_full":
    case "tenant_sessions_limit":
      return 429;
    case "queue_full":
      return 503;
    case "llm_timeout":
      return 504;
    case "llm_bad_response":
    case "llm_rejected":
      return 502;
    case "token_budget_exhausted":
      return 402;
    case "cancelled":
      return 409;
    case "agent_limit_reached":
    case "turn_attempts_exhausted":
    case "lease_lost":
    case "internal":
      return 500;
  }
}

/** Whether a turn that failed with this code should be tried again (within its attempt budget). */
export function isRetryable(code: ErrorCode): boolean {
  switch (code) {
    case "llm_rate_limited":
    case "llm_unavailable":
    case "llm_timeout":
    case "database_unavailable":
    case "internal":
      return true;
    case "llm_bad_response":
    case "llm_rejected":
    case "turn_attempts_exhausted":
    case "lease_lost":
    case "cancelled":
    case "agent_limit_reached":
    case "token_budget_exhausted":
    case "session_busy":
    case "delivery_in_progress":
    case "invalid_json":
    case "invalid_request":
    case "validation_failed":
    case "unsupported_media_type":
    case "payload_too_large":
    case "not_found":
    case "unauthorized":
    case "idempotency_key_reused":
    case "method_not_allowed":
    case "not_ready":
    case "json_too_deep":
    case "unsupported_character":
    case "headers_too_large":
    case "request_timeout":
    case "expectation_failed":
    case "rate_limited":
    case "session_queue_full":
    case "tenant_sessions_limit":
    case "queue_full":
      return false;
  }
}
