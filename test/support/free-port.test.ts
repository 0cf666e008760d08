import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "./free-port.ts";

/** Where the kernel takes ports for outgoing connections on this machine. */
const ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);

function listen(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(() => new Promise((r) => srv.close(() => r()))));
  });
}

describe("freePort", () => {
  it("gives a port below the kernel's ephemeral range, where no outgoing connection can take it, and a server can listen on it", async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralLow);
      const close = await listen(port);
      await close();
    }
  });

  it("with alsoFree, the ports beside it are free and below the range too", async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freePort({ alsoFree: [1, 10_000] });
      expect(port + 10_000).toBeLessThan(ephemeralLow);
      const closes = [await listen(port), await listen(port + 1), await listen(port + 10_000)];
      for (const close of closes) await close();
    }
  });
});
