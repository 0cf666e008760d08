import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** A real HTTP server on 127.0.0.1:0 that records what turnq sent and lets each test script the reply. */

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** Date.now() when the request's body had fully arrived. */
  at: number;
  socket: Socket;
}

export type Handler = (req: Received, res: ServerResponse, index: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  received: Received[];
  /** TCP connections accepted so far. */
  connections: () => number;
  /** Sockets the server saw close (client-side close or destroy). */
  closedSockets: () => number;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  let connections = 0;
  let closed = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        socket: req.socket,
      };
      received.push(r);
      void Promise.resolve(handler(r, res, received.length - 1)).catch((e: unknown) => {
        res.destroy(e instanceof Error ? e : undefined);
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s: Socket) => {
    connections++;
    s.on("close", () => closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${addr.port}/v1`,
    received,
    connections: () => connections,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sseHeaders(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
}

/** Writes raw pieces one event-loop turn apart so the client really receives them as separate chunks. */
export async function writePieces(res: ServerResponse, pieces: (string | Buffer)[], gapMs = 2): Promise<void> {
  for (const p of pieces) {
    res.write(p);
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

export function openAiChunk(delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
}

export function openAiTextStream(text: string): string {
  return (
    openAiChunk({ role: "assistant", content: text }) +
    `data: ${JSON.stringify({ id: "c1", model: "gpt-4o-2024-08-06", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n` +
    `data: ${JSON.stringify({ id: "c1", model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\n` +
    "data: [DONE]\n\n"
  );
}
