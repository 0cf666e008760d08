import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resolves when a line matching `pattern` has been written (or rejects after `ms`). */
  waitForLine(pattern: RegExp, ms?: number): Promise<string>;
  /** SIGTERM (or the given signal) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Node arguments that start the OpenTelemetry SDK before the app, exactly like `npm run start:*`.
 * Without OTEL_EXPORTER_OTLP_ENDPOINT in the child's env nothing is exported (tracing is a no-op).
 */
export const TELEMETRY_ARGS = ["--import", "@turnq/telemetry/register"];

/** Starts `node <entry>` from the repository root as a real child process with the given env. */
export function startProcess(name: string, entry: string, env: Record<string, string>, args: string[] = []): AppProcess {
  const child = spawn(process.execPath, [...args, entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    name,
    child,
    output: () => out,
    waitForLine(pattern, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.split("\n").find((l) => pattern.test(l));
          if (m !== undefined) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name}: no line matching ${pattern} within ${ms} ms. Output:\n${out.slice(-4000)}`));
        }, ms);
        const onExit = () => {
          cleanup();
          reject(new Error(`${name} exited before printing ${pattern}. Output:\n${out.slice(-4000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
