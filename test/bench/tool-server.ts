import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/** One tool request as the tool saw it: which turn (from the Idempotency-Key) and when. */
export interface ToolHit {
  turnId: string;
  arrivedAt: number;
  answeredAt: number;
}

export interface ToolServer {
  url: string;
  hits: ToolHit[];
  close(): Promise<void>;
}

/**
 * The HTTP tool of the tools scenario: a loopback server that answers every POST after `delayMs`.
 * Timestamps are taken here, on the tool's side, so "3 calls of 100 ms took ~100 ms" is measured
 * where the calls actually overlap, without the worker's own bookkeeping around them. The worker
 * sends `Idempotency-Key: <turn>:<call>`, which tells which turn each call belongs to.
 */
export async function startToolServer(delayMs: number): Promise<ToolServer> {
  const hits: ToolHit[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now();
    const key = String(req.headers["idempotency-key"] ?? "unknown:");
    req.resume(); // the arguments do not matter; reading them lets the socket be reused
    req.once("end", () => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ done: true, tookMs: delayMs }));
        hits.push({ turnId: key.split(":")[0]!, arrivedAt, answeredAt: performance.now() });
      }, delayMs);
      timers.add(timer);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slow`,
    hits,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Per turn: first call's arrival to last call's answer, i.e. how long the tool phase took. */
export function toolPhases(hits: readonly ToolHit[]): Map<string, { ms: number; calls: number }> {
  const byTurn = new Map<string, { from: number; to: number; calls: number }>();
  for (const h of hits) {
    const t = byTurn.get(h.turnId);
    if (!t) byTurn.set(h.turnId, { from: h.arrivedAt, to: h.answeredAt, calls: 1 });
    else {
      t.from = Math.min(t.from, h.arrivedAt);
      t.to = Math.max(t.to, h.answeredAt);
      t.calls++;
    }
  }
  return new Map([...byTurn].map(([id, t]) => [id, { ms: t.to - t.from, calls: t.calls }]));
}
