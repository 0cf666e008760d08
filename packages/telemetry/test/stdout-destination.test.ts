import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const logger = new URL("../src/logger.ts", import.meta.url).href;

// The child logs through createLogger's default destination (stdout), says it is ready, and on a
// line from stdin logs three more lines and exits. Between the two, this test closes its end of the
// child's stdout: every later write fails with EPIPE, as when `npm run dev` is killed outright.
const child = `
import { createLogger } from ${JSON.stringify(logger)};
const log = createLogger({ name: "child" });
log.info("ready");
process.stdin.once("data", () => {
  for (let i = 0; i < 3; i++) log.info({ i }, "after the reader left");
  process.exit(0);
});
`;

describe("the logger's stdout destination", () => {
  it("lets a process exit when nobody reads its stdout any more", async () => {
    const proc = spawn(process.execPath, ["--input-type=module", "-e", child], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = once(proc, "exit");
    const [first] = (await once(createInterface({ input: proc.stdout! }), "line")) as [string];
    expect(JSON.parse(first)).toMatchObject({ name: "child", msg: "ready" });
    proc.stdout!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    proc.stdin!.write("go\n");
    // pino's default destination retried the failed write every 100 ms for ever at exit; the
    // deadline only bounds the test, the child exits at once.
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const [code, signal] = await exited;
    clearTimeout(timer);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
