import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo, Socket } from "node:net";
import { anyAddress, createGuardedAgent, publicAddressesOnly } from "@turnq/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendWebhook } from "../../src/webhooks/send-webhook.ts";

/** One attempt against a loopback receiver that misbehaves on purpose, path by path. */
describe("sendWebhook", () => {
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const open = createGuardedAgent({ isAllowedAddress: anyAddress, timeoutMs: 5_000 });
  const guarded = createGuardedAgent({ isAllowedAddress: publicAddressesOnly, timeoutMs: 5_000 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      req.resume();
      if (req.url === "/ok") return void res.writeHead(204).end();
      if (req.url === "/redirect") return void res.writeHead(307, { location: "/ok" }).end();
      if (req.url === "/hang") return; // never answers
      if (req.url === "/endless") {
        // A 200 whose body never ends: the attempt must not read it all, nor wait for its end.
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on("drain", pump);
        pump();
      }
    });
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
    for (const s of sockets) s.destroy();
    server.close();
  });

  const send = (path: string, dispatcher = open, timeoutMs = 5_000) => sendWebhook({ dispatcher, url: `${url}${path}`, headers: { "content-type": "application/json" }, body: "{}", timeoutMs });

  it("counts a 2xx as delivered", async () => {
    expect(await send("/ok")).toMatchObject({ ok: true, statusCode: 204, error: null });
  });

  it("does not follow redirects: a 3xx is a failure", async () => {
    const before = seen.filter((p) => p === "/ok").length;
    const r = await send("/redirect");
    expect(r).toMatchObject({ ok: false, statusCode: 307, error: expect.stringMatching(/HTTP 307/) });
    expect(seen.filter((p) => p === "/ok").length).toBe(before);
  });

  it("ends an attempt the receiver never answers at its deadline", async () => {
    const r = await send("/hang", open, 500);
    expect(r).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/No answer within 500 ms/) });
    expect(r.latencyMs).toBeGreaterThanOrEqual(450);
  });

  it("reads at most a little of an endless body and ends the attempt", async () => {
    const r = await send("/endless", open, 2_000);
    expect(r.ok).toBe(true);
    expect(r.statusCode).toBe(200);
  });

  it("refuses a loopback receiver unless private addresses are allowed, before any request is sent", async () => {
    const before = seen.length;
    const r = await send("/ok", guarded);
    expect(r).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/refusing to connect to 127\.0\.0\.1.*WEBHOOK_ALLOW_PRIVATE=true/) });
    expect(seen.length).toBe(before);
  });
});
