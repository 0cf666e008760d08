import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Stops a child when its stdin ends: when this process is gone, however it ended (as in `npm run dev`). */
const exitWithParent = new URL("../../infra/dev/exit-with-parent.mjs", import.meta.url).href;

/**
 * How long a process may take to say it is ready. Generous on purpose: on a busy 2-core machine a
 * worker's start-up (module loading, telemetry, connections) has taken over 20 s. A process that
 * is not ready by then is a failure, and is killed.
 */
export const READY_DEADLINE_MS = 90_000;

/** How long a process may take to exit after SIGTERM before it is SIGKILLed. */
export const STOP_GRACE_MS = 15_000;

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /**
   * Resolves with the first line matching `pattern`. Rejects when the process exits first, or after
   * `ms`; then the process is killed (a process that did not start in time is not left running).
   */
  waitForLine(pattern: RegExp, ms?: number): Promise<string>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/**
 * Node arguments that start the OpenTelemetry SDK before the app, exactly like `npm run start:*`.
 * Without OTEL_EXPORTER_OTLP_ENDPOINT in the child's env nothing is exported (tracing is a no-op).
 */
export const TELEMETRY_ARGS = ["--import", "@turnq/telemetry/register"];

/** Starts `node <entry>` from the repository root as a real child process with the given env. */
export function startProcess(name: string, entry: string, env: Record<string, string>, args: string[] = []): AppProcess {
  // stdin is a pipe only so that the child notices when this process is gone: a test runner or a
  // bench that crashed or was killed leaves no worker behind taking turns from a shared Redis.
  const child = spawn(process.execPath, ["--import", exitWithParent, ...args, entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin!.on("error", () => {});
  // The output, and how many characters were dropped from its front to bound memory.
  let out = "";
  let dropped = 0;
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2_000_000) {
      dropped += out.length - 1_000_000;
      out = out.slice(-1_000_000);
    }
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  // (A process that could not be spawned at all emits 'error' instead; it has nothing to stop.)
  const exited = once(child, "exit").then(([code]) => code as number | null, () => null);
  // After 'close' every line the process wrote has been read.
  const closed = once(child, "close").then(() => {}, () => {});
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  async function stop(signal: NodeJS.Signals = "SIGTERM", graceMs = STOP_GRACE_MS): Promise<number | null> {
    if (hasExited()) return child.exitCode;
    child.kill(signal);
    if (signal === "SIGKILL") return exited;
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name,
    child,
    output: () => out,
    stop,
    waitForLine(pattern, ms = READY_DEADLINE_MS) {
      // Scans each complete line once, however much the process writes while we wait.
      let scanned = dropped;
      return new Promise((resolve, reject) => {
        const check = () => {
          const from = Math.max(scanned - dropped, 0);
          const end = out.lastIndexOf("\n");
          if (end < from) return;
          const m = out.slice(from, end).split("\n").find((l) => pattern.test(l));
          scanned = dropped + end + 1;
          if (m !== undefined) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          void stop("SIGKILL");
          reject(new Error(`${name}: no line matching ${pattern} within ${ms} ms (killed it). Output:\n${out.slice(-4000)}`));
        }, ms);
        // Lines written just before an exit are read by 'close'; then the wait is over either way.
        void closed.then(() => {
          if (!listeners.has(check)) return;
          check();
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}. Output:\n${out.slice(-4000)}`));
        });
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
