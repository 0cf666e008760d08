import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** http://127.0.0.1:<port>, forwarding every connection to the target. */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Destroys every open connection at once (both sides), as a dropped network would. */
  cutAll(): number;
  close(): Promise<void>;
}

/** A loopback TCP proxy the test controls, to cut live connections between a client and the API. */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    cutAll() {
      const n = open.size;
      // resetAndDestroy: an RST, not a polite FIN, like a connection lost mid-flight.
      for (const s of open) s.resetAndDestroy();
      return n;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
