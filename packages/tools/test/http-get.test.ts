import { afterEach, describe, expect, it } from "vitest";
import { createHttpGetTool, isPublicAddress, type HttpGetToolOptions } from "../src/index.ts";
import { callTool, startServer, watchClientSockets, type TestServer } from "./helpers.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function tool(opts: HttpGetToolOptions = {}) {
  const t = createHttpGetTool(opts);
  cleanup.push(() => t.close());
  return t;
}
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  cleanup.push(() => s.close());
  return s;
}

describe("http_get against a loopback server", () => {
  it("returns status, content type and body", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"hello":"world"}');
    });
    const sockets = watchClientSockets();
    const r = await callTool(tool({ allowPrivateAddresses: true }), { url: `${s.url}/greeting?x=1` });
    sockets.stop();
    expect(sockets.count()).toBe(1); // the watcher the refusal tests rely on does see real connections
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.content)).toEqual({ status: 200, contentType: "application/json", body: '{"hello":"world"}' });
    expect(s.requests.map((q) => [q.method, q.url])).toEqual([["GET", "/greeting?x=1"]]);
  });

  it("re-checks every redirect hop and refuses a redirect to a loopback URL", async () => {
    const internal = await server((_req, res) => res.end("secret"));
    const front = await server((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/admin` });
      res.end();
    });
    // Only the first hop's server is allowed (so the test can run on loopback); everything else gets the
    // production policy.
    const t = tool({ isAllowedAddress: (address, target) => target.port === front.port || isPublicAddress(address) });
    const r = await callTool(t, { url: `${front.url}/start` });
    expect(r.ok).toBe(false);
    expect(r.content).toMatch(/refusing to connect to 127\.0\.0\.1/);
    expect(front.requests).toHaveLength(1);
    expect(internal.requests).toHaveLength(0);
  });

  it("refuses a redirect to a non-http scheme", async () => {
    const s = await server((_req, res) => {
      res.writeHead(301, { location: "file:///etc/passwd" });
      res.end();
    });
    const r = await callTool(tool({ allowPrivateAddresses: true }), { url: s.url });
    expect(r.content).toBe('Error: tool "http_get" failed: refusing to follow redirect: only http and https URLs are allowed, not file');
  });

  it("follows allowed redirects, relative ones included, up to maxRedirects", async () => {
    const s = await server((req, res) => {
      const n = Number(req.url?.slice(1) || "0");
      if (n < 2) {
        res.writeHead(307, { location: `/${n + 1}` });
        res.end();
      } else res.end(`arrived after ${n}`);
    });
    const ok = await callTool(tool({ allowPrivateAddresses: true, maxRedirects: 2 }), { url: `${s.url}/0` });
    expect(JSON.parse(ok.content)).toMatchObject({ status: 200, body: "arrived after 2" });
    const tooMany = await callTool(tool({ allowPrivateAddresses: true, maxRedirects: 1 }), { url: `${s.url}/0` });
    expect(tooMany.content).toBe('Error: tool "http_get" failed: too many redirects (more than 1)');
  });

  it("refuses a body over maxBytes declared by content-length", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-length": "4096" });
      res.end("x".repeat(4096));
    });
    const r = await callTool(tool({ allowPrivateAddresses: true, maxBytes: 1024 }), { url: s.url });
    expect(r).toMatchObject({ ok: false, errorKind: "error" });
    expect(r.content).toBe('Error: tool "http_get" failed: response body is larger than the 1024-byte limit; refused');
  });

  it("stops reading an endless chunked body once it passes maxBytes", async () => {
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const s = await server((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const pump = (): void => {
        if (res.destroyed) return;
        res.write("y".repeat(8192), () => setImmediate(pump));
      };
      res.on("close", () => serverSawClose());
      pump();
    });
    const r = await callTool(tool({ allowPrivateAddresses: true, maxBytes: 64 * 1024 }), { url: s.url });
    expect(r.content).toMatch(/larger than the 65536-byte limit; refused/);
    await closed; // the connection was dropped rather than drained
  });

  it("truncates a long text body with a marker, keeping the result valid JSON", async () => {
    const s = await server((_req, res) => res.end("z".repeat(5000)));
    const r = await callTool(tool({ allowPrivateAddresses: true, maxBodyChars: 1000 }), { url: s.url });
    const body = (JSON.parse(r.content) as { body: string }).body;
    expect(body).toBe(`${"z".repeat(1000)}\n…[truncated: 4000 more characters not shown]`);
  });

  it("times out a server that never answers", async () => {
    const s = await server(() => {}); // accepts the request, never responds
    const started = performance.now();
    const r = await callTool(tool({ allowPrivateAddresses: true, timeoutMs: 200 }), { url: s.url });
    expect(r).toMatchObject({ ok: false, errorKind: "timeout", content: 'Error: tool "http_get" timed out after 200 ms' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
