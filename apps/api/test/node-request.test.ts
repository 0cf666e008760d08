import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../src/http-server.ts";
import { clientGone, header, headerNames } from "../src/node-request.ts";

/** Headers and the client's disconnect as the hot routes read them, over a real socket and Node's parser. */
describe("node-request", () => {
  let port = 0;
  let gone: Promise<string> | undefined;
  const app = new Hono();
  app.get("/h", (c) => c.json({ web: c.req.header("x-multi") ?? null, node: header(c, "x-multi") ?? null, auth: header(c, "authorization") ?? null, names: headerNames(c) }));
  app.get("/wait", async (c) => {
    const signal = clientGone(c);
    gone = new Promise((resolve) => signal.addEventListener("abort", () => resolve(String((signal.reason as Error).name))));
    await gone;
    return c.text("late");
  });
  const server = createHttpServer(app.fetch as never, { hostname: "127.0.0.1", requestTimeoutMs: 5_000, onError: () => {} });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => s.end(request));
      let out = "";
      s.on("data", (d) => (out += d));
      s.on("end", () => resolve(out));
      s.on("error", reject);
    });

  it("reads a header as Headers.get does: any case, repeats joined with ', '", async () => {
    const res = await raw("GET /h HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nx-multi: b\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n");
    const body = JSON.parse(res.slice(res.indexOf("\r\n\r\n") + 4)) as { web: string; node: string; auth: string; names: string[] };
    expect(body.node).toBe("a, b");
    expect(body.node).toBe(body.web);
    expect(body.auth).toBe("Bearer k");
    expect(body.names).toEqual(["host", "x-multi", "x-multi", "authorization", "connection"]);
  });

  it("aborts the request's signal when the client goes away before the answer", { timeout: 10_000 }, async () => {
    const s = connect(port, "127.0.0.1", () => s.write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
    for (let i = 0; gone === undefined; i++) {
      if (i > 200) throw new Error("the route never ran");
      await new Promise((r) => setTimeout(r, 10));
    }
    s.destroy();
    expect(await gone).toBe("AbortError");
  });
});
