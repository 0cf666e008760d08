import { runChaos } from "./chaos-run.ts";
import type { RedisPersistence } from "./redis-control.ts";

/**
 * `npm run chaos`: the long schedule. Progress on stderr, one JSON summary line on stdout; exits 1
 * on any violation. CHAOS_SEED replays a run exactly (same faults at the same times); the other
 * CHAOS_* variables change its size.
 */
const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
};

const report = await runChaos({
  seed: int("CHAOS_SEED", Math.floor(Math.random() * 2 ** 31)),
  sessions: int("CHAOS_SESSIONS", 300),
  turnsPerSession: int("CHAOS_TURNS", 20),
  workers: int("CHAOS_WORKERS", 3),
  llmLatencyMs: int("CHAOS_LLM_MS", 200),
  shape: {
    durationMs: int("CHAOS_SECONDS", 150) * 1000,
    workerKills: int("CHAOS_WORKER_KILLS", 15),
    redisRestarts: (process.env.CHAOS_REDIS ?? "none,aof").split(",").filter(Boolean) as RedisPersistence[],
    postgresRestarts: int("CHAOS_POSTGRES_RESTARTS", 2),
  },
  drainDeadlineMs: int("CHAOS_DRAIN_SECONDS", 120) * 1000,
  log: (m) => process.stderr.write(`chaos: ${m}\n`),
});
process.stdout.write(`${JSON.stringify(report)}\n`);
for (const v of report.violations) process.stderr.write(`chaos: VIOLATION ${v}\n`);
process.exitCode = report.ok ? 0 : 1;
