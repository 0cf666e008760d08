import type { Problem } from "@turnq/contract";

/** Every code an API error can carry (`unauthorized` comes with API keys), or ours for a non-problem answer. */
export type ApiErrorCode = Problem["code"] | "unauthorized" | "unexpected_response";

/**
 * An error answer of the API: its problem+json `code` (switch on it), HTTP status and whole body.
 * An answer that is not problem+json (a proxy's error page) gets code `unexpected_response`.
 */
export class TurnqApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly body: Problem | { text: string };
  /** From Retry-After, when the API said when to try again (503 database_unavailable). */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: Problem | { text: string }, retryAfterMs?: number) {
    const code = "code" in body ? (body.code as ApiErrorCode) : "unexpected_response";
    super("detail" in body ? `${code}: ${body.detail}` : `HTTP ${status}: ${body.text.slice(0, 200)}`);
    this.name = "TurnqApiError";
    this.status = status;
    this.code = code;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isTurnqApiError(e: unknown): e is TurnqApiError {
  return e instanceof TurnqApiError;
}

/** Reads an error answer into a TurnqApiError. */
export async function apiErrorOf(res: Response): Promise<TurnqApiError> {
  const text = await res.text().catch(() => "");
  const retryAfter = Number(res.headers.get("retry-after"));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1_000 : undefined;
  try {
    const body = JSON.parse(text) as Problem;
    if (typeof body?.code === "string") return new TurnqApiError(res.status, body, retryAfterMs);
  } catch {
    // Not JSON: kept as text below.
  }
  return new TurnqApiError(res.status, { text }, retryAfterMs);
}
