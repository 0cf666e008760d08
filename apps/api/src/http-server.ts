import { createServer, maxHeaderSize, STATUS_CODES, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { getRequestListener, RequestError } from "@hono/node-server";
import { httpStatusOf, TurnqError } from "@turnq/core";
import { problemJson } from "./problem.ts";

type Fetch = (request: Request, env: never) => Response | Promise<Response>;

/**
 * Node's HTTP server around the app, answering in problem+json also where the app never sees the
 * request: Node's parser refusing it (`clientError`: oversized headers, malformed chunked encoding,
 * bad bytes in the request line, a request not received in time), a missing Host header, an
 * `Expect` it cannot meet, a CONNECT, and the adapter failing to build a Request (bad Host header, backslash in the path).
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
      // Node would answer a bare 400 itself; the listener below answers it in problem+json.
      requireHostHeader: false,
      // A client that stops sending mid-request (a chunk cut short, a Content-Length it never fills)
      // gets 408 within about 1.5x the timeout, not Node's 5 minutes. Long polls and SSE streams are
      // not affected: the timeout covers receiving the request, not answering it.
      requestTimeout: opts.requestTimeoutMs,
      headersTimeout: opts.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(5_000, Math.ceil(opts.requestTimeoutMs / 2)),
    },
    (req, res) => {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400.
      if (req.headers.host === undefined && req.httpVersion === "1.1") {
        const body = problemJson(new TurnqError("invalid_request", "An HTTP/1.1 request needs a Host header; add one."));
        res.writeHead(400, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body), connection: "close" }).end(body);
        return;
      }
      void listener(req, res);
    },
  );
  server.on("clientError", (err: Error & { code?: string; reason?: string }, socket: Duplex) => answerClientError(socket, clientProblem(err), err));
  server.on("connect", (_req, socket: Duplex) => {
    writeProblem(socket, new TurnqError("method_not_allowed", "CONNECT is not supported; this is an HTTP API, not a proxy."));
  });
  server.on("checkExpectation", (_req, res) => {
    const body = problemJson(new TurnqError("expectation_failed", "Only Expect: 100-continue is supported; send the request without that Expect header."));
    res.writeHead(417, { "content-type": "application/problem+json", "content-length": Buffer.byteLength(body), connection: "close" }).end(body);
  });
  return server;
}

function problemResponse(err: TurnqError): Response {
  return new Response(problemJson(err), { status: httpStatusOf(err.code), headers: { "content-type": "application/problem+json" } });
}

const answered = new WeakSet<Duplex>();

/**
 * Node's parser refused bytes on this connection. With no request or response object for them, the
 * answer is written on the socket itself, once, and never over another response: when the bad bytes
 * follow a request still being answered (pipelined, or after `Connection: close`), that answer is
 * left to finish first. When they are this request's own body (broken chunked framing) and nothing
 * has been sent yet, they are answered at once, as Node's default handler does.
 */
function answerClientError(socket: Duplex, problem: TurnqError, cause: { code?: string }): void {
  if (answered.has(socket)) return; // the parser's further complaints about the same bytes
  answered.add(socket);
  if (cause.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && (inFlight.req.complete || inFlight.headersSent)) {
    const pipelined = inFlight.req.complete;
    inFlight.once("close", () => (pipelined ? writeProblem(socket, problem) : socket.destroy()));
    return;
  }
  writeProblem(socket, problem);
}

/**
 * Writes a whole problem+json response on the raw socket and half-closes it rather than destroying
 * it, so a client still sending its request reads the answer instead of a reset; the socket is
 * closed soon after in any case.
 */
function writeProblem(socket: Duplex, problem: TurnqError): void {
  if (!socket.writable) return void socket.destroy();
  const body = problemJson(problem);
  const status = httpStatusOf(problem.code);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
