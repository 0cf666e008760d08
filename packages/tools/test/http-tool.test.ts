import { afterEach, describe, expect, it } from "vitest";
import { createHttpTool, createToolRegistry, runToolCalls, type HttpToolDeclaration } from "../src/index.ts";
import { callTool, startServer, watchClientSockets, type TestServer } from "./helpers.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const SECRET = "sk-live-0123456789abcdef";

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  cleanup.push(() => s.close());
  return s;
}
function tool(decl: Partial<HttpToolDeclaration> & { url: string }) {
  const t = createHttpTool({
    name: "create_ticket",
    description: "Open a support ticket.",
    parameters: {
      type: "object",
      properties: { title: { type: "string" }, priority: { type: "integer" } },
      required: ["title"],
    },
    headers: { authorization: `Bearer ${SECRET}`, "x-api-key": SECRET },
    allowPrivateAddresses: true,
    ...decl,
  });
  cleanup.push(() => t.close());
  return t;
}

/** A server that echoes the request headers back, as a careless service might. */
const echoHeaders = (status: number) => (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ youSent: req.headers }));
};

describe("createHttpTool", () => {
  it("POSTs the arguments as JSON with the Idempotency-Key and configured headers, and returns the JSON reply", async () => {
    const s = await server((_req, res) => {
      res.writeHead(201, { "content-type": "application/json; charset=utf-8" });
      res.end('{"ticket":42}');
    });
    const t = tool({ url: `${s.url}/tickets` });
    const [r] = await runToolCalls(
      [{ id: "call_7", name: "create_ticket", arguments: '{"title":"printer on fire","priority":1}' }],
      createToolRegistry([t]),
      { turnId: "turn_3", sessionId: "sess", signal: new AbortController().signal },
    );
    expect(r).toMatchObject({ ok: true, content: '{"ticket":42}' });
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/tickets");
    expect(JSON.parse(req.body)).toEqual({ title: "printer on fire", priority: 1 });
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["idempotency-key"]).toBe("turn_3:call_7");
    expect(req.headers["authorization"]).toBe(`Bearer ${SECRET}`);
  });

  it("exposes the configured JSON schema as its spec and defaults to not parallel-safe, not idempotent", () => {
    const t = tool({ url: "http://127.0.0.1:1/x" });
    expect(t.spec.parameters).toMatchObject({ type: "object", required: ["title"] });
    expect(t.spec).toBe(t.spec);
    expect(t).toMatchObject({ parallelSafe: false, idempotent: false, timeoutMs: 10_000 });
  });

  it("does not let configured headers replace the Idempotency-Key", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const t = tool({ url: s.url, headers: { "Idempotency-Key": "fixed", "Content-Type": "text/plain" } });
    await callTool(t, { title: "x" });
    expect(s.requests[0]!.headers["idempotency-key"]).toBe("turn-1:call-1");
    expect(s.requests[0]!.headers["content-type"]).toBe("application/json");
  });

  it("reports a non-2xx status as an error result", async () => {
    const s = await server((_req, res) => {
      res.writeHead(503);
      res.end("maintenance");
    });
    const r = await callTool(tool({ url: s.url }), { title: "x" });
    expect(r).toMatchObject({ ok: false, errorKind: "error" });
    expect(r.content).toBe('Error: tool "create_ticket" failed: endpoint responded with status 503: maintenance');
  });

  it("never shows header secrets in results, even when the service echoes them", async () => {
    const s = await server(echoHeaders(200));
    const r = await callTool(tool({ url: s.url }), { title: "x" });
    expect(r.ok).toBe(true);
    expect(r.content).not.toContain(SECRET);
    expect(r.content).toContain("[redacted]");
  });

  it("never shows header secrets in errors, even when the service echoes them", async () => {
    const s = await server(echoHeaders(401));
    const r = await callTool(tool({ url: s.url }), { title: "x" });
    expect(r.ok).toBe(false);
    expect(r.content).toMatch(/status 401/);
    expect(r.content).not.toContain(SECRET);
  });

  it("never shows header secrets when the connection fails", async () => {
    const s = await server(() => {});
    const port = s.port;
    await s.close(); // nothing listens there any more
    const r = await callTool(tool({ url: `http://127.0.0.1:${port}/` }), { title: "x" });
    expect(r.ok).toBe(false);
    expect(r.content).not.toContain(SECRET);
  });

  it("refuses private addresses unless the operator opts in, without connecting", async () => {
    const s = await server((_req, res) => res.end("should not be reached"));
    const sockets = watchClientSockets();
    const r = await callTool(tool({ url: s.url, allowPrivateAddresses: false }), { title: "x" });
    sockets.stop();
    expect(r.content).toMatch(/refusing to connect to 127\.0\.0\.1/);
    expect(sockets.count()).toBe(0);
    expect(s.requests).toHaveLength(0);
  });

  it("refuses a response larger than maxResponseBytes", async () => {
    const s = await server((_req, res) => res.end("x".repeat(2048)));
    const r = await callTool(tool({ url: s.url, maxResponseBytes: 100 }), { title: "x" });
    expect(r.content).toMatch(/larger than the 100-byte limit; refused/);
  });

  it("times out a slow endpoint", async () => {
    const s = await server(() => {});
    const r = await callTool(tool({ url: s.url, timeoutMs: 150 }), { title: "x" });
    expect(r).toMatchObject({ errorKind: "timeout", content: 'Error: tool "create_ticket" timed out after 150 ms' });
  });

  it("validates arguments minimally: an object, required properties, basic types", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const t = tool({ url: s.url });
    expect((await callTool(t, ["title"])).content).toBe('Error: invalid arguments for tool "create_ticket": arguments must be a JSON object');
    expect((await callTool(t, { priority: 1.5 })).content).toBe(
      'Error: invalid arguments for tool "create_ticket": title: required; priority: expected integer, got number',
    );
    expect(s.requests).toHaveLength(0);
  });

  it("rejects a declaration with a non-http URL or credentials in the URL, without echoing it", () => {
    expect(() => tool({ url: "file:///etc/passwd" })).toThrow('http tool "create_ticket": invalid url: only http and https URLs are allowed, not file');
    expect(() => tool({ url: "https://u:hunter22@example.com/" })).toThrow(/embedded credentials/);
    expect(() => tool({ url: "https://u:hunter22@example.com/" })).not.toThrow(/hunter22/);
  });
});
