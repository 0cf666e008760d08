import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of Postgres that reads the client side of the wire protocol and counts what
 * a process really sends: statements (Execute and simple Query messages), unnamed Parse messages
 * (statements Postgres parses and plans again) and round trips (each time a client writes after the
 * server answered it). It sees every process pointed at it, children included, without hooks in
 * production code.
 */
export interface PgWireCounts {
  /** Execute ('E') plus simple Query ('Q') messages: one per statement run. */
  statements: number;
  /** Parse ('P') messages for the unnamed statement: parsed and planned again every time. */
  unnamedParses: number;
  /** Client writes that follow a server answer on the same connection: the waits a client pays. */
  roundTrips: number;
  /** Statement texts seen in Parse and Query messages, with how often (to tell which ones run). */
  texts: Map<string, number>;
}

export interface PgWireCounter {
  /** postgres:// URL that goes through the proxy to `target`'s database. */
  url: string;
  counts(): PgWireCounts;
  reset(): void;
  close(): Promise<void>;
}

export async function startPgWireCounter(target: string): Promise<PgWireCounter> {
  const upstream = new URL(target);
  let counts = fresh();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const server = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    sockets.add(client).add(server);
    const parser = clientParser((type, body) => {
      if (type === "E" || type === "Q") counts.statements++;
      if (type === "P") {
        const name = body.subarray(0, body.indexOf(0)).toString();
        if (name === "") counts.unnamedParses++;
        const textEnd = body.indexOf(0, name.length + 1);
        remember(counts, body.subarray(name.length + 1, textEnd).toString());
      }
      if (type === "Q") remember(counts, body.subarray(0, body.indexOf(0)).toString());
    });
    let answered = true;
    client.on("data", (chunk) => {
      if (answered) counts.roundTrips++;
      answered = false;
      parser(chunk);
      server.write(chunk);
    });
    server.on("data", (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on("close", end).on("error", end);
    server.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    counts: () => ({ ...counts, texts: new Map(counts.texts) }),
    reset() {
      counts = fresh();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function fresh(): PgWireCounts {
  return { statements: 0, unnamedParses: 0, roundTrips: 0, texts: new Map() };
}

function remember(counts: PgWireCounts, text: string): void {
  const key = text.replace(/\s+/g, " ").trim();
  counts.texts.set(key, (counts.texts.get(key) ?? 0) + 1);
}

/**
 * Splits the client's byte stream into messages. The first messages (startup, SSL or GSS requests)
 * have no type byte; after the startup message every message is type (1 byte) + length (4 bytes,
 * counting itself) + body.
 */
function clientParser(onMessage: (type: string, body: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (!started) {
        if (buf.length < 8) return;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return;
        const code = buf.readInt32BE(4);
        // 80877103 = SSLRequest, 80877104 = GSSENCRequest: the startup message comes after them.
        if (code !== 80877103 && code !== 80877104) started = true;
        buf = buf.subarray(len);
        continue;
      }
      if (buf.length < 5) return;
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) return;
      onMessage(String.fromCharCode(buf[0]!), buf.subarray(5, 1 + len));
      buf = buf.subarray(1 + len);
    }
  };
}
