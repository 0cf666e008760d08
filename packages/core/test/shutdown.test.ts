import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const shutdownModule = new URL("../src/shutdown.ts", import.meta.url).href;
const packageDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * A real process with a shutdown whose one step takes `stepMs`; it prints "ready" once its
 * handlers are in place and each log line as it is written.
 */
function startWithShutdown(stepMs: number) {
  const code = [
    `const { createShutdown } = await import(${JSON.stringify(shutdownModule)});`,
    `const logger = { info: (m) => console.log(m), error: (o, m) => console.log(m) };`,
    `createShutdown(logger, [["slow", () => new Promise((r) => setTimeout(r, ${stepMs}))]], { deadlineMs: 10_000 });`,
    `setInterval(() => {}, 1000);`,
    `console.log("ready");`,
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const closed = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, output: () => output, closed };
}

describe("createShutdown", () => {
  it("runs its steps to the end when a second signal comes during them (npm forwards a Ctrl-C the app already got)", { timeout: 30_000 }, async () => {
    const p = startWithShutdown(500);
    await expect.poll(() => p.output(), { timeout: 20_000 }).toContain("ready");
    p.child.kill("SIGINT");
    await expect.poll(() => p.output()).toContain("shutting down");
    // The repeat arrives while the step runs, after the first signal was handled.
    p.child.kill("SIGINT");
    p.child.kill("SIGTERM");
    const [code, signal] = await p.closed;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(p.output()).toMatch(/shutting down\nstopped\n$/);
  });
});
