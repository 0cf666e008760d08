import { createServer, maxHeaderSize, STATUS_CODES, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import { httpStatusOf, TurnqError } from "@turnq/core";
import { problemJson } from "./problem.ts";

type Fetch = (request: Request, env: never) => Response | Promise<Response>;

/**
 * Node's HTTP server around the app, answering in problem+json also where the app never sees the
 * request: Node's parser refusing it (`clientError`: oversized headers, malformed chunked encoding,
 * bad bytes in the request line) and the adapter failing to build a Request (bad Host, backslash in
 * the path).
 */
export function createHttpServer(
  fetch: Fetch,
  opts: { hostname: string; requestTimeoutMs: number; onError: (err: unknown) => void },
): Server {
  const listener = getRequestListener(fetch as Parameters<typeof getRequestListener>[0], {
    hostname: opts.hostname,
    errorHandler: (err) => {
      if (err instanceof RequestError) return problemResponse(new TurnqError("invalid_request", `Malformed request: ${err.message}; check the URL and the Host header.`));
      opts.onError(err);
      return problemResponse(new TurnqError("internal", "Something went wrong on our side; retry the request, and report it if it persists."));
    },
  });
  const server = createServer(
    {
      // A client that stops sending mid-request (a chunk cut short, a Content-Length it never fills)
      // gets 408 within about 1.5x the timeout, not Node's 5 minutes. Long polls and SSE streams are
      // not affected: the timeout covers receiving the request, not answering it.
      requestTimeout: opts.requestTimeoutMs,
      headersTimeout: opts.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(5_000, Math.ceil(opts.requestTimeoutMs / 2)),
    },
    listener,
  );
  server.on("clientError", answerClientError);
  return server;
}

function problemResponse(err: TurnqError): Response {
  return new Response(problemJson(err), { status: httpStatusOf(err.code), headers: { "content-type": "application/problem+json" } });
}

/**
 * With no request or response object left, the answer is written on the socket itself, and only
 * when that cannot corrupt what the peer reads: the socket is writable and no response to this
 * request has started (as Node's own default handler decides).
 */
function answerClientError(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const problem = clientProblem(err);
  const body = problemJson(problem);
  const status = httpStatusOf(problem.code);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // The connection is of no further use; a peer that never closes its side does not keep it.
  setTimeout(() => socket.destroy(), 2_000).unref();
}

function clientProblem(err: Error & { code?: string; reason?: string }): TurnqError {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return new TurnqError("headers_too_large", `The request line and headers exceed ${maxHeaderSize} bytes; send fewer or shorter headers.`, {
        details: { limitBytes: maxHeaderSize },
      });
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new TurnqError("payload_too_large", "The chunk extensions of the body are too large; send the body without chunk extensions.");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new TurnqError("request_timeout", "The request was not received in full in time (HTTP_REQUEST_TIMEOUT_MS); send it again without pausing.");
    default:
      // llhttp's reason is a fixed phrase of the parser ("Invalid header value char"), never the bytes.
      return new TurnqError("invalid_request", `Malformed HTTP request${err.reason ? ` (${err.reason})` : ""}; check the request line, headers and body framing.`, {
        details: err.code ? { parserCode: err.code } : {},
      });
  }
}
