import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * `npm run bench` is how issue #8's figures are taken, and nothing else runs it: a schema change
 * once made its reference crash (sessions need a tenant) without any test noticing. This runs the
 * hot-path parts at a tiny shape (a few clients, seconds-long windows) and checks only that each
 * part ran and measured something; the figures themselves mean nothing at this size and on a
 * machine busy with other tests, so none is asserted.
 */
describe("npm run bench", () => {
  it("runs the hot-path parts end to end and prints one JSON line with each of them", { timeout: 600_000 }, async () => {
    const env = {
      ...process.env,
      BENCH_ONLY: "reference,hotpath,burst,overhead,context",
      BENCH_HOTPATH_CLIENTS: "4",
      BENCH_HOTPATH_CONCURRENCY: "8",
      BENCH_WARMUP_SECONDS: "1",
      BENCH_SECONDS: "4",
      BENCH_BURST_SESSIONS: "3",
      BENCH_BURST_TURNS: "4",
      BENCH_BURST_WARMUP_SECONDS: "1",
      BENCH_OVERHEAD_CLIENTS: "3",
      BENCH_CONTEXT_RUNS: "5",
      BENCH_CONTEXT_LARGE: "300",
    };
    const child = spawn(process.execPath, ["test/bench/run.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, `the bench failed; its progress:\n${stderr.slice(-4000)}`).toBe(0);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, any>;
    expect(result.reference.turns).toBeGreaterThan(0);
    expect(result.reference.redisPerTurn.commands).toBeGreaterThan(0);
    expect(result.hotpath.turns).toBeGreaterThan(0);
    expect(result.hotpath.orderViolations.value).toBe(0);
    expect(result.hotpath.redisPerTurn.commands.value).toBeGreaterThan(0);
    expect(result.burst.turns).toBe(12);
    expect(result.overhead.loaded.turns).toBeGreaterThan(0);
    expect(result.overhead.alone.turns).toBeGreaterThan(0);
    expect(result.context.large.priorMessages).toBe(300);
  });
});
