import { httpStatusOf, isTurnqError, TurnqError, type ErrorCode } from "@turnq/core";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** RFC 9457 problem details; `code` is the stable machine-readable part clients switch on. */
export function problem(c: Context, err: TurnqError): Response {
  const status = httpStatusOf(err.code) as ContentfulStatusCode;
  return c.body(problemJson(err), status, { "content-type": "application/problem+json" });
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
    logger.error({ err: err.message, stack: err.stack }, "unhandled error");
    return problem(c, new TurnqError("internal", "Something went wrong on our side; retry the request, and report it if it persists."));
  };
}

function titleOf(code: ErrorCode): string {
  return code.replaceAll("_", " ").replace(/^./, (ch) => ch.toUpperCase());
}
