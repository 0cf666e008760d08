import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP tool on loopback that answers only when the test says so: a turn that calls it runs
 * exactly as long as the test needs, however slow the machine is, instead of for a fixed time the
 * test then races. Each path (`/<name>`) is held until `release(name)`; after that it answers at once.
 */
export interface HeldTool {
  /** Base URL; a tool named `name` is declared with url `${url}/${name}`. */
  url: string;
  /** Requests received so far for `name` (with their Idempotency-Key), answered or not. */
  calls(name: string): { key: string | undefined }[];
  /** Answers the held requests for `name`, and every later one at once. */
  release(name: string): void;
  /** Holds `name` again (after a release). */
  hold(name: string): void;
  close(): Promise<void>;
}

export async function startHeldTool(): Promise<HeldTool> {
  const received = new Map<string, { key: string | undefined }[]>();
  const held = new Map<string, ServerResponse[]>();
  const released = new Set<string>();
  const answer = (res: ServerResponse) => {
    if (!res.destroyed) res.setHeader("content-type", "application/json").end(JSON.stringify({ done: true }));
  };
  const server = createServer((req, res) => {
    req.resume();
    const name = (req.url ?? "/").slice(1).split("?")[0]!;
    received.set(name, [...(received.get(name) ?? []), { key: req.headers["idempotency-key"] as string | undefined }]);
    if (released.has(name)) return answer(res);
    held.set(name, [...(held.get(name) ?? []), res]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: (name) => [...(received.get(name) ?? [])],
    release(name) {
      released.add(name);
      for (const res of held.get(name) ?? []) answer(res);
      held.delete(name);
    },
    hold(name) {
      released.delete(name);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
