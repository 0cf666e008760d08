import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const processes = new URL("../support/processes.ts", import.meta.url).href;

/** True while a process with this pid exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A test file or a bench run that dies without stopping its children (an uncaught error, a
 * SIGKILL) must not leave them running: a leftover worker keeps taking turns from the shared Redis.
 * The children that startProcess starts watch their stdin, whose other end this process holds.
 */
describe("processes started by the test and bench helpers", () => {
  it("stop by themselves when the process that started them is SIGKILLed", { timeout: 120_000 }, async () => {
    const parentCode = [
      `const { startProcess } = await import(${JSON.stringify(processes)});`,
      `const sim = startProcess("sim", "packages/llm-simulator/src/main.ts", { SIM_PORT: "0" });`,
      `await sim.waitForLine(/listening on/);`,
      `console.log("child " + sim.child.pid);`,
      `setInterval(() => {}, 1000);`,
    ].join("\n");
    const parent = spawn(process.execPath, ["--input-type=module", "-e", parentCode], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    parent.stdout.on("data", (d: Buffer) => (out += d.toString()));
    parent.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!/child (\d+)/.test(out)) {
      if (Date.now() > deadline || parent.exitCode !== null) throw new Error(`the parent never started its child:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const childPid = Number(/child (\d+)/.exec(out)![1]);
    expect(alive(childPid)).toBe(true);

    parent.kill("SIGKILL");
    await once(parent, "exit");
    const gone = Date.now() + 30_000;
    while (alive(childPid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    const leftover = alive(childPid);
    if (leftover) process.kill(childPid, "SIGKILL");
    expect(leftover, "the child outlived its parent").toBe(false);
  });
});
