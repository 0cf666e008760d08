import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A real HTTP server on loopback standing in for an LLM provider (or a tool endpoint) that the test
 * scripts request by request: it can echo secrets, stall, trickle or reset, which the simulator
 * will not. `handle` gets the parsed JSON body (undefined for GET or non-JSON).
 */
export interface ScriptedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

export interface ScriptedProvider {
  /** Base URL with /v1, as LLM_BASE_URL wants it. */
  url: string;
  origin: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

export async function startScriptedProvider(
  handle: (req: ScriptedRequest, res: ServerResponse) => void | Promise<void>,
): Promise<ScriptedProvider> {
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const r = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      requests.push(r);
      void Promise.resolve(handle(r, res)).catch(() => res.destroy());
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** An OpenAI chat.completion.chunk line. */
export function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model: "scripted", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A whole streamed answer: text, stop, usage, [DONE]. */
export function streamedText(res: ServerResponse, text: string): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(
    chunk({ role: "assistant", content: text }) +
      chunk({}, "stop") +
      `data: ${JSON.stringify({ id: "c1", model: "scripted", choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}\n\n` +
      "data: [DONE]\n\n",
  );
}

/** A streamed answer asking for one tool call. */
export function streamedToolCall(res: ServerResponse, name: string, args: unknown): void {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(
    chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name, arguments: JSON.stringify(args) } }] }) +
      chunk({}, "tool_calls") +
      "data: [DONE]\n\n",
  );
}

/** The text of the last user message of a chat request. */
export function lastUserText(body: any): string {
  const users = ((body?.messages ?? []) as Array<{ role: string; content: unknown }>).filter((m) => m.role === "user");
  const c = users.at(-1)?.content;
  return typeof c === "string" ? c : "";
}
