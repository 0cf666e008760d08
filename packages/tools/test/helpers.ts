import { subscribe, unsubscribe } from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createToolRegistry, runToolCalls, type Tool, type ToolResult } from "../src/index.ts";

export interface TestServer {
  port: number;
  url: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0, recording each request (with its body) before handling it. */
export async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Records every client socket node creates (diagnostics channel `net.client.socket`), so refusal tests
 * can prove the refusal happened before any connection attempt.
 */
export function watchClientSockets(): { count(): number; stop(): void } {
  let count = 0;
  const onSocket = (): void => {
    count++;
  };
  subscribe("net.client.socket", onSocket);
  return { count: () => count, stop: () => unsubscribe("net.client.socket", onSocket) };
}

/** Runs one call of `tool` through the real executor, as the worker would. */
export async function callTool(tool: Tool, args: unknown, signal = new AbortController().signal): Promise<ToolResult> {
  const registry = createToolRegistry([tool]);
  const [result] = await runToolCalls(
    [{ id: "call-1", name: tool.name, arguments: JSON.stringify(args) }],
    registry,
    { turnId: "turn-1", sessionId: "session-1", signal },
  );
  if (result === undefined) throw new Error("no result");
  return result;
}

/** A promise plus its resolver, for tools whose completion the test controls. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
