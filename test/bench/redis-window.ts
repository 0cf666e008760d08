import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { commandCalls } from "../support/redis-commandstats.ts";

/** What a redis-server did so far: commands by name (those inside scripts included) and its CPU time. */
interface RedisSnapshot {
  at: number;
  commands: number;
  byCommand: Map<string, number>;
  cpuMs: number;
}

/** Commands this window's own reads add (INFO itself), left out of the count. */
const ownCommands = new Set(["info"]);

async function snapshot(redis: Redis): Promise<RedisSnapshot> {
  const at = performance.now();
  const [stats, cpu] = await Promise.all([redis.info("commandstats"), redis.info("cpu")]);
  let commands = 0;
  const byCommand = commandCalls(stats);
  for (const name of ownCommands) byCommand.delete(name);
  for (const calls of byCommand.values()) commands += calls;
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(cpu)?.[1] ?? Number.NaN);
  return { at, commands, byCommand, cpuMs: (field("used_cpu_user") + field("used_cpu_sys")) * 1000 };
}

/**
 * Redis's side of a measure window, on a redis-server the part owns (so nothing else's commands
 * are counted): INFO commandstats and INFO cpu when the window opens and when it closes. Divided by
 * the turns completed in the window, this is the Redis cost of a turn at that load, BullMQ's share
 * and every script's inner commands included: the figure issue #8 budgets (<= 60 commands).
 */
export function redisWindow(url: string, fromMs: number, toMs: number) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on("error", () => {});
  const now = performance.now();
  let start: Promise<RedisSnapshot> | undefined;
  let end: Promise<RedisSnapshot> | undefined;
  const t1 = setTimeout(() => (start = snapshot(redis)), Math.max(0, fromMs - now));
  const t2 = setTimeout(() => (end = snapshot(redis)), Math.max(0, toMs - now));
  return {
    /** Commands (in all and by name) and Redis CPU ms over the window, or undefined if it never closed. */
    async result(): Promise<{ commands: number; byCommand: Map<string, number>; cpuMs: number; seconds: number } | undefined> {
      clearTimeout(t1);
      clearTimeout(t2);
      try {
        if (!start || !end) return undefined;
        const [a, b] = await Promise.all([start, end]);
        const byCommand = new Map<string, number>();
        for (const [name, calls] of b.byCommand) byCommand.set(name, calls - (a.byCommand.get(name) ?? 0));
        return { commands: b.commands - a.commands, byCommand, cpuMs: b.cpuMs - a.cpuMs, seconds: (b.at - a.at) / 1000 };
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** A window's Redis figures per turn completed in it (null when the window never closed or ran no turn). */
export function perTurnOf(spent: { commands: number; cpuMs: number } | undefined, turns: number): { commands: number; cpuMs: number } | null {
  if (!spent || turns === 0) return null;
  return { commands: Math.round((spent.commands / turns) * 10) / 10, cpuMs: Math.round((spent.cpuMs / turns) * 100) / 100 };
}

/** "xadd 10.1, hmget 6.4, …": a window's commands per turn, most frequent first (for a progress line). */
export function commandsPerTurnText(byCommand: Map<string, number> | undefined, turns: number): string {
  if (!byCommand || turns === 0) return "n/a";
  return [...byCommand]
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, calls]) => `${name} ${Math.round((calls / turns) * 10) / 10}`)
    .join(", ");
}
