import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { portTakenInOutput, type PortUse } from "./port-taken.ts";

/** A failure the user can act on: printed as its message alone, never with a stack trace. */
export class DevFailure extends Error {}

export interface ChildSpec {
  name: string;
  entry: string;
  env: Record<string, string>;
  /** Lines (each pattern once, in any order) that say the child is ready. */
  readyWhen: RegExp[];
  /** Ports it listens on, to name the one that is taken if it cannot start. */
  ports: PortUse[];
}

export interface Supervisor {
  /** Starts a child and resolves once it is ready; rejects with a DevFailure if it exits or stalls first. */
  start(spec: ChildSpec): Promise<void>;
  /** SIGTERM to every child, SIGKILL to those still running after the grace; resolves when all are gone. */
  stopAll(): Promise<void>;
  /** SIGKILL to every child still running (a second Ctrl-C). */
  killAll(): void;
}

interface Options {
  root: string;
  startTimeoutMs: number;
  stopGraceMs: number;
  /** A ready child exited while nobody asked it to: the runner stops everything. */
  onUnexpectedExit(failure: DevFailure): void;
  write(line: string, stream: "stdout" | "stderr"): void;
}

const exitWithParent = new URL("./exit-with-parent.mjs", import.meta.url).href;

/**
 * Owns the child processes of `npm run dev`. A child's output is held back until it is ready, so a
 * child that cannot start is reported in one clear sentence (which port, which variable) rather than
 * its stack trace; output that explains nothing better is shown as it was written.
 */
export function createSupervisor(opts: Options): Supervisor {
  const children: { name: string; child: ChildProcess; exited: Promise<unknown> }[] = [];
  let stopping = false;

  function start(spec: ChildSpec): Promise<void> {
    if (stopping) return Promise.reject(new DevFailure(`not starting ${spec.name}: stopping`));
    // The OpenTelemetry SDK starts before the app, as with `npm run start:*`; stdin is a pipe only
    // so that the child notices when this runner is gone (exit-with-parent.mjs).
    const child = spawn(process.execPath, ["--import", exitWithParent, "--import", "@turnq/telemetry/register", spec.entry], {
      cwd: opts.root,
      env: spec.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    // (A child that could not be spawned emits 'error', not 'exit': nothing to wait for then.)
    const exited = once(child, "exit").catch(() => {});
    children.push({ name: spec.name, child, exited });
    opts.write(`dev: started ${spec.name} (pid ${child.pid})`, "stdout");
    child.stdin!.on("error", () => {});

    const tag = `[${spec.name}]`.padEnd(11);
    const held: { line: string; stream: "stdout" | "stderr" }[] = [];
    // The last lines, shown or not: a ready child that dies later is explained from them too.
    const recent: string[] = [];
    let ready = false;
    const pending = [...spec.readyWhen];
    let onReady: () => void = () => {};
    const onLine = (stream: "stdout" | "stderr") => (line: string) => {
      recent.push(line);
      if (recent.length > 200) recent.shift();
      if (ready) return opts.write(`${tag} ${line}`, stream);
      held.push({ line, stream });
      const i = pending.findIndex((p) => p.test(line));
      if (i >= 0) pending.splice(i, 1);
      if (pending.length === 0) {
        ready = true;
        for (const h of held.splice(0)) opts.write(`${tag} ${h.line}`, h.stream);
        onReady();
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine("stdout"));
    createInterface({ input: child.stderr! }).on("line", onLine("stderr"));

    // Why it ended, from what it wrote: a taken port in one sentence, anything else with its output.
    const explain = (how: string): DevFailure => {
      const port = portTakenInOutput(recent.join("\n"), spec.ports, spec.name);
      if (port) return new DevFailure(port);
      for (const h of held.splice(0)) opts.write(`${tag} ${h.line}`, h.stream);
      return new DevFailure(`${spec.name} ${how}; its output is above.`);
    };

    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(explain(`was not ready within ${opts.startTimeoutMs / 1000} s`));
      }, opts.startTimeoutMs);
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(new DevFailure(`${spec.name} could not be started: ${err.message}`));
      });
      // 'close' rather than 'exit': by then every line the child wrote has been read.
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (stopping) return reject(new DevFailure(`${spec.name} was stopped before it was ready`));
        const failure = explain(`exited (${signal ?? `code ${code}`})${ready ? "" : " before it was ready"}`);
        if (ready) opts.onUnexpectedExit(failure);
        else reject(failure);
      });
    });
  }

  const running = () => children.filter((c) => c.child.exitCode === null && c.child.signalCode === null);

  return {
    start,
    async stopAll() {
      stopping = true;
      const live = running();
      for (const c of live) c.child.kill("SIGTERM");
      const graceOver = setTimeout(() => {
        for (const c of running()) {
          opts.write(`dev: ${c.name} did not stop within ${opts.stopGraceMs / 1000} s; killing it`, "stderr");
          c.child.kill("SIGKILL");
        }
      }, opts.stopGraceMs);
      await Promise.all(live.map((c) => c.exited));
      clearTimeout(graceOver);
    },
    killAll() {
      stopping = true;
      for (const c of running()) c.child.kill("SIGKILL");
    },
  };
}
