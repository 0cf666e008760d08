import { TurnqError } from "@turnq/core";

/**
 * Every error the provider layer throws is built here, so the wording ("what happened, what to do")
 * and the code mapping live in one place.
 */

export type DeadlineName = "connect" | "firstByte" | "idle" | "total";

const MAX_PROVIDER_MESSAGE = 200;

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

/** Rebuilds an error with every occurrence of a secret removed, including from its cause chain's text. */
export function scrubSecrets(err: TurnqError, secrets: readonly string[]): TurnqError {
  const live = secrets.filter((s) => s.length >= 4);
  if (live.length === 0) return err;
  const clean = (s: string): string => live.reduce((acc, k) => acc.split(k).join("[redacted]"), s);
  const detailsJson = err.details === undefined ? undefined : JSON.stringify(err.details);
  const causeText = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack ?? ""}` : String(err.cause ?? "");
  const dirty =
    live.some((k) => err.message.includes(k) || (detailsJson?.includes(k) ?? false) || causeText.includes(k));
  if (!dirty) return err;
  return new TurnqError(err.code, clean(err.message), {
    ...(detailsJson !== undefined ? { details: JSON.parse(clean(detailsJson)) as Record<string, unknown> } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    // The cause is dropped rather than rewritten: its stack and nested fields cannot be cleaned reliably.
  });
}
