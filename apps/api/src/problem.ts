import { httpStatusOf, isTurnqError, TurnqError, type ErrorCode } from "@turnq/core";
import { isDbUnavailable } from "@turnq/db";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** RFC 9457 problem details; `code` is the stable machine-readable part clients switch on. */
export function problem(c: Context, err: TurnqError): Response {
  const status = httpStatusOf(err.code) as ContentfulStatusCode;
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (err.retryAfterMs !== undefined) headers["retry-after"] = String(Math.ceil(err.retryAfterMs / 1000));
  // RFC 6750: a 401 names the scheme the client must use.
  if (err.code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="turnq"';
  return c.body(problemJson(err), status, headers);
}

/** The problem+json body of an error; also written raw on a socket when Node's parser refused a request. */
export function problemJson(err: TurnqError): string {
  return JSON.stringify({
    type: `urn:turnq:error:${err.code}`,
    title: titleOf(err.code),
    status: httpStatusOf(err.code),
    code: err.code,
    detail: err.message,
    ...err.details,
  });
}

/** The one place errors become responses: known errors keep their code, anything else is a 500. */
export function onError(logger: { error(o: object, m: string): void }) {
  return (err: Error, c: Context): Response => {
    if (isTurnqError(err)) return problem(c, err);
    // Postgres down or restarting: a 503 with a code the client can act on, not a 500. Sending the
    // same request again is safe: a turn with the same Idempotency-Key is never stored twice.
    if (isDbUnavailable(err)) {
      // The driver's own message: drizzle's wrapper quotes the statement and its parameters (user input).
      logger.error({ err: err.cause instanceof Error ? err.cause.message : err.message }, "database unavailable");
      return problem(
        c,
        new TurnqError("database_unavailable", "The database is unreachable right now; retry in a few seconds (send a turn again with the same Idempotency-Key: it is never stored twice).", {
          retryAfterMs: 1_000,
        }),
      );
    }
    logger.error({ err: err.message, stack: err.stack }, "unhandled error");
    return problem(c, new TurnqError("internal", "Something went wrong on our side; retry the request, and report it if it persists."));
  };
}

function titleOf(code: ErrorCode): string {
  return code.replaceAll("_", " ").replace(/^./, (ch) => ch.toUpperCase());
}
