import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * A port that was free a moment ago on 127.0.0.1, for a server a test starts later.
 *
 * Chosen at random below the kernel's ephemeral range (ip_local_port_range), never by listening on
 * port 0: a port the kernel hands out that way is one it hands to the next outgoing connection too,
 * and with dozens of test files connecting to Redis and Postgres at once, one took a worker's metrics
 * port between this check and the worker's listen (a CI run failed so). Below the range only an
 * explicit bind can take it.
 */
export async function freePort(opts: { alsoFree?: number[] } = {}): Promise<number> {
  // `alsoFree`: offsets whose ports must be free too (a worker's next metrics port, a Redis Cluster
  // node's bus at +10000), and below the range as well.
  const offsets = opts.alsoFree ?? [];
  const low = 20_000;
  const high = ephemeralLow() - 1 - Math.max(0, ...offsets);
  for (let attempt = 0; attempt < 100 && high > low; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await canListen(port)) {
      let all = true;
      for (const o of offsets) all &&= await canListen(port + o);
      if (all) return port;
    }
  }
  return kernelPort();
}

/** The first port the kernel hands to outgoing connections (and to listen(0)). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768; // not Linux: the IANA range's start
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}
