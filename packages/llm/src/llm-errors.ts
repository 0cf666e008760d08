import { TurnqError, type SecretScrubber } from "@turnq/core";

/**
 * Every error the provider layer throws is built here, so the wording ("what happened, what to do")
 * and the code mapping live in one place.
 */

export type DeadlineName = "connect" | "firstByte" | "idle" | "total";

const MAX_PROVIDER_MESSAGE = 200;

/** Cuts provider text for a message. Callers pass text already scrubbed of secrets (never cut first). */
function short(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_PROVIDER_MESSAGE ? `${flat.slice(0, MAX_PROVIDER_MESSAGE)}…` : flat;
}

export function httpStatusError(status: number, providerMessage: string | undefined, retryAfterMs: number | undefined): TurnqError {
  const said = providerMessage ? `: ${short(providerMessage)}` : "";
  const details = { status, ...(providerMessage ? { providerMessage: short(providerMessage) } : {}) };
  const opts = { details, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 429) {
    return new TurnqError("llm_rate_limited", `LLM provider is rate limiting (HTTP 429${said}); it will be retried`, opts);
  }
  if (status === 408) {
    return new TurnqError("llm_timeout", `LLM provider timed out the request (HTTP 408${said}); it will be retried`, opts);
  }
  if (status === 401 || status === 403) {
    return new TurnqError("llm_rejected", `LLM provider refused the credentials (HTTP ${status}${said}); check LLM_API_KEY`, opts);
  }
  if (status === 409 || status >= 500) {
    return new TurnqError("llm_unavailable", `LLM provider unavailable (HTTP ${status}${said}); it will be retried`, opts);
  }
  if (status === 404) {
    return new TurnqError("llm_rejected", `LLM provider returned HTTP 404${said}; check LLM_BASE_URL and the model name`, opts);
  }
  return new TurnqError("llm_rejected", `LLM provider rejected the request (HTTP ${status}${said}); fix the request or model settings`, opts);
}

export function timeoutError(deadline: DeadlineName, ms: number): TurnqError {
  const what: Record<DeadlineName, string> = {
    connect: "could not connect",
    firstByte: "no first byte",
    idle: "stream went idle (no chunk)",
    total: "call did not finish",
  };
  return new TurnqError("llm_timeout", `LLM call timed out: ${what[deadline]} within ${ms} ms (${deadline} deadline)`, {
    details: { deadline, timeoutMs: ms },
  });
}

/** Network-level failure (refused, reset, DNS). `origin` never carries credentials: URL.origin drops userinfo. */
export function networkError(err: unknown, origin: string): TurnqError {
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "unknown";
  const causeCode = findCauseCode(err);
  const shown = causeCode ?? code;
  return new TurnqError(
    "llm_unavailable",
    `could not reach LLM provider at ${origin} (${shown}); it will be retried — if it persists check LLM_BASE_URL and that the provider is up`,
    { details: { errorCode: shown }, cause: err },
  );
}

function findCauseCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && typeof e === "object" && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("UND_ERR")) return code;
    const errors = (e as { errors?: unknown }).errors; // AggregateError from happy-eyeballs connect
    if (Array.isArray(errors) && errors.length > 0) e = errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function badResponse(reason: string, cause?: unknown): TurnqError {
  return new TurnqError("llm_bad_response", `LLM provider sent a response turnq could not use: ${short(reason)}`, {
    details: { reason: short(reason) },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Provider-side error reported inside an otherwise-200 stream (Anthropic `error` event, OpenAI `{"error":…}` chunk). */
export function streamedProviderError(kind: string, message: string): TurnqError {
  const k = kind.toLowerCase();
  if (k.includes("rate_limit")) return httpStatusError(429, message, undefined);
  if (k.includes("overloaded") || k.includes("api_error") || k.includes("server") || k === "unknown") {
    return new TurnqError("llm_unavailable", `LLM provider failed mid-stream (${short(kind)}: ${short(message)}); it will be retried`, {
      details: { providerErrorType: short(kind), providerMessage: short(message) },
    });
  }
  return new TurnqError("llm_rejected", `LLM provider rejected the request mid-stream (${short(kind)}: ${short(message)})`, {
    details: { providerErrorType: short(kind), providerMessage: short(message) },
  });
}

/** Retryable inside one chat() call. A fired `total` deadline is not: there is no time left. */
export function isRetryableAttemptError(e: TurnqError): boolean {
  if (e.code === "llm_timeout") return e.details?.["deadline"] !== "total";
  return e.code === "llm_rate_limited" || e.code === "llm_unavailable";
}

/**
 * The last net before an error leaves the client (to the turn record, logs, spans): message and
 * details pass through the scrubber, and the cause is dropped, because its stack and nested fields
 * (undici's, JSON.parse's snippet of the body) cannot be cleaned reliably. Provider text was already
 * scrubbed where it entered (before `short` cut it), so this only catches what came another way.
 */
export function scrubError(err: unknown, scrubber: SecretScrubber): unknown {
  if (err instanceof TurnqError) {
    return new TurnqError(err.code, scrubber.scrub(err.message), {
      ...(err.details !== undefined ? { details: scrubValues(err.details, scrubber) as Record<string, unknown> } : {}),
      ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    });
  }
  // Not ours (a caller's abort reason, a programming error): kept as it is unless it carries a secret.
  if (err instanceof Error) {
    const message = scrubber.scrub(err.message);
    return message === err.message ? err : new Error(message);
  }
  return err;
}

/** Details are flat records of strings and numbers; strings (keys too) are scrubbed one by one. */
function scrubValues(value: unknown, scrubber: SecretScrubber, depth = 0): unknown {
  if (typeof value === "string") return scrubber.scrub(value);
  if (typeof value !== "object" || value === null || depth > 8) return typeof value === "object" && value !== null ? "[…]" : value;
  if (Array.isArray(value)) return value.map((v) => scrubValues(v, scrubber, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrubber.scrub(k), scrubValues(v, scrubber, depth + 1)]));
}
