import { TurnqError } from "@turnq/core";
import { Hono } from "hono";
import type { ApiDeps, AppEnv } from "../deps.ts";

const checkTimeoutMs = 2_000;

export function healthRoutes(deps: ApiDeps) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const results = await Promise.all(
        Object.entries(deps.readiness).map(async ([name, check]) => [name, await probe(check)] as const),
      );
      const checks = Object.fromEntries(results);
      const failing = results.filter(([, r]) => r !== "ok").map(([n]) => n);
      if (failing.length > 0) {
        throw new TurnqError("not_ready", `Not ready: ${failing.join(", ")} unreachable; check the service and its URL.`, {
          details: { checks },
        });
      }
      // Workers are reported, not required: the API accepts turns without them (they wait, durably).
      const workers = await deps.workers().catch(() => []);
      // Backpressure is reported, not a reason to leave the load balancer: every API process sees the
      // same queue, and reads, cancels and event streams must go on while submits are refused.
      const waiting = await deps.backlog.depth.read().catch(() => deps.backlog.depth.current());
      return c.json({
        status: "ready",
        checks,
        queue: { waitingSessions: waiting, bound: deps.backlog.max, full: waiting > deps.backlog.max },
        workers: {
          alive: workers.length,
          llmBreakerOpen: workers.filter((w) => w.breaker !== "closed").length,
          llmConnectionsWarm: workers.filter((w) => w.connectionsWarm).length,
          turnsInFlight: workers.reduce((n, w) => n + w.turnsInFlight, 0),
        },
      });
    });
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), checkTimeoutMs))),
    ]);
    return "ok";
  } catch (err) {
    return `error: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
