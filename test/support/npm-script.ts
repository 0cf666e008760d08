import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { runningChildren, type ProcessInfo } from "./process-table.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface NpmRun {
  npm: ChildProcess;
  /** Everything npm and its script wrote so far, stdout and stderr together. */
  output(): string;
  /** The deepest running process below npm whose command line holds `text` (the shell npm starts names it too). */
  below(text: string): ProcessInfo | undefined;
  /** SIGINT to npm's whole process group, as Ctrl-C in a terminal sends it. */
  ctrlC(): void;
  /** Resolves once npm has exited and its output is read to the end; SIGKILLs it after 30 s. */
  closed(): Promise<void>;
  /** SIGKILL to whatever is left of the group (cleanup). */
  killGroup(): void;
}

/**
 * `npm run <script>` from the repository root as a user runs it, in a process group of its own as
 * a terminal gives the command it runs, with PATH, HOME and `env` only.
 */
export function runNpmScript(script: string, env: Record<string, string>, npmArgs: string[] = []): NpmRun {
  const npm = spawn("npm", ["run", script, ...npmArgs], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  // Taken now, so the event cannot pass unseen.
  const closed = once(npm, "close").then(() => {}, () => {});
  let output = "";
  npm.stdout.on("data", (d: Buffer) => (output += d.toString()));
  npm.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return {
    npm,
    output: () => output,
    below: (text) => descendantsOf(npm.pid!).findLast((p) => p.command.includes(text)),
    ctrlC: () => process.kill(-npm.pid!, "SIGINT"),
    async closed() {
      const timer = setTimeout(() => npm.kill("SIGKILL"), 30_000);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
    killGroup() {
      try {
        process.kill(-npm.pid!, "SIGKILL");
      } catch {
        // The group is gone already.
      }
    },
  };
}

/** The running processes below `pid`, its children's children included, parents first. */
function descendantsOf(pid: number): ProcessInfo[] {
  return runningChildren(pid).flatMap((c) => [c, ...descendantsOf(c.pid)]);
}
