import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../support/free-port.ts";

/** Debian's `prometheus` package ships both; .ci/run installs it when missing. */
export function requireBinary(name: "prometheus" | "promtool"): string {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${name} not found: install Debian's prometheus package (apt-get install prometheus)`);
  return r.stdout.trim();
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<{ status: string; error?: string; data: { result: any[] } }>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port, with its own config and storage in a temp dir: it
 * scrapes `targets` (job name -> host:port) every second and evaluates `ruleFiles`.
 */
export async function startPrometheus(targets: Record<string, string>, ruleFiles: string[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "turnq-prometheus-"));
  const port = await freePort();
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    "scrape_configs:",
    ...Object.entries(targets).flatMap(([job, target]) => [`  - job_name: ${job}`, "    static_configs:", `      - targets: [${JSON.stringify(target)}]`]),
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);
  const child: ChildProcess = spawn(
    requireBinary("prometheus"),
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = once(child, "exit");
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as any;
    },
  };
}
