import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@turnq/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSystem, type TestSystem } from "../support/system.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** The bin npm linked for the workspace package, as `npx turnq` finds it. */
const bin = join(root, "node_modules/.bin/turnq");

interface Run {
  code: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  signal(s: NodeJS.Signals): void;
  until(pattern: RegExp, ms?: number): Promise<void>;
}

/** `turnq <args>` as a real child process; killed if it has not ended within `ms`. */
function turnq(args: string[], env: Record<string, string>, ms = 90_000): Run {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout.on("data", (d: Buffer) => ((out += d), waiters.forEach((w) => w())));
  child.stderr.on("data", (d: Buffer) => ((err += d), waiters.forEach((w) => w())));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const code = new Promise<number | null>((resolve) => child.on("close", (c) => (clearTimeout(timer), resolve(c))));
  return {
    code,
    stdout: () => out,
    stderr: () => err,
    signal: (s) => child.kill(s),
    until: (pattern, wait = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out + err)) return;
          waiters.delete(check);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => (waiters.delete(check), reject(new Error(`no ${pattern} in:\n${out}\n${err}`))), wait);
        waiters.add(check);
        check();
      }),
  };
}

describe("the turnq CLI as a child process", () => {
  let sys: TestSystem;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    sys = await startSystem({ workers: 1 });
    env = { TURNQ_URL: sys.api.url, TURNQ_API_KEY: sys.tenant.key };
    dir = mkdtempSync(join(tmpdir(), "turnq-cli-"));
  });
  afterAll(async () => {
    await sys?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a session, sends a turn printing the reply and its tool calls, and lists the log", async () => {
    const agent = await createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key }).agents.create({ name: "clock", tools: ["current_time"] });
    const created = turnq(["sessions", "create", "--agent", agent.id], env);
    expect(await created.code).toBe(0);
    const session = created.stdout().trim();
    expect(session).toMatch(/^ses_/);

    const sent = turnq(["send", session, "what time is it? [[sim tools=current_time]]"], env);
    expect(await sent.code, sent.stderr()).toBe(0);
    expect(sent.stderr()).toMatch(/current_time started[\s\S]*current_time finished in \d+ ms/);
    const [turn] = (await createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key }).sessions.messages(session)).data.filter((m) => m.role === "assistant" && m.content.text);
    expect(sent.stdout().trim()).toBe(turn?.content.text);

    const messages = turnq(["messages", session, "--url", sys.api.url, "--key", sys.tenant.key], {});
    expect(await messages.code).toBe(0);
    expect(messages.stdout()).toMatch(/^#1 user: what time is it\?/);
    expect(messages.stdout().trim().split("\n")).toHaveLength(4); // user, tool call, tool result, answer

    const json = turnq(["messages", session, "--json", "--after", "3"], env);
    expect(await json.code).toBe(0);
    expect(json.stdout().trim().split("\n").map((l) => JSON.parse(l).seq)).toEqual([4]);
  });

  it("shows a queued turn's position while it waits, and exits with the turn's status", async () => {
    const client = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key });
    const session = await client.sessions.create();
    // Ahead for as long as the CLI needs to show it (a busy machine may take seconds to start it).
    const ahead = await client.turns.send(session.id, "hold on [[sim delay=60000]]");
    const sent = turnq(["send", session.id, "then me"], env);
    await sent.until(/queued: 1 turn\(s\) ahead/);
    await client.turns.cancel(ahead.id);
    expect(await sent.code, sent.stderr()).toBe(0);
    expect(sent.stdout()).toMatch(/then me/);
    expect((await client.turns.get(ahead.id)).status).toBe("cancelled");

    const failed = turnq(["send", session.id, "fail [[sim error=400]]"], env);
    expect(await failed.code).toBe(1);
    expect(failed.stderr()).toMatch(/turn failed: llm_\w+/);

    const cancelled = turnq(["send", session.id, "slow [[sim delay=20000]]", "--json"], env);
    await cancelled.until(/"status":"running"/);
    const submitted = JSON.parse(cancelled.stdout().split("\n")[0]!);
    const get = turnq(["turns", "cancel", submitted.id], env);
    expect(await get.code).toBe(0);
    expect(await cancelled.code).toBe(3);
    expect(JSON.parse(cancelled.stdout().trim().split("\n").at(-1)!)).toMatchObject({ id: submitted.id, status: "cancelled" });

    const shown = turnq(["turns", "get", submitted.id], env);
    expect(await shown.code).toBe(3);
    expect(shown.stdout()).toMatch(new RegExp(`^${submitted.id} cancelled`));
  });

  it("follows a session with tail until interrupted", async () => {
    const client = createClient({ baseUrl: sys.api.url, apiKey: sys.tenant.key });
    const session = await client.sessions.create();
    const tail = turnq(["tail", session.id, "--json"], env);
    const turn = await client.turns.send(session.id, "hello tail");
    await tail.until(new RegExp(`"turnId":"${turn.id}".*"status":"completed"|"status":"completed".*"turnId":"${turn.id}"`));
    tail.signal("SIGINT");
    expect(await tail.code).toBe(0);
    const types = tail.stdout().trim().split("\n").map((l) => JSON.parse(l).type);
    expect(types).toEqual(expect.arrayContaining(["turn.status", "message", "message.delta"]));
  });

  it("applies an agent file: created first, a new version when the file names its id", async () => {
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify({ name: "clock", tools: ["current_time"] }));
    const first = turnq(["agents", "apply", "-f", file, "--json"], env);
    expect(await first.code, first.stderr()).toBe(0);
    const agent = JSON.parse(first.stdout());
    expect(agent.version).toBe(1);
    writeFileSync(file, JSON.stringify({ id: agent.id, name: "clock", tools: ["current_time"], systemPrompt: "Be brief." }));
    const second = turnq(["agents", "apply", "-f", file], env);
    expect(await second.code).toBe(0);
    expect(second.stdout()).toMatch(new RegExp(`^${agent.id} version 2`));
  });

  it("says what is wrong with a bad command, a refused request and an unreachable API", async () => {
    const usage = turnq(["send"], env);
    expect(await usage.code).toBe(2);
    expect(usage.stderr()).toMatch(/Missing the session id/);
    const missing = turnq(["turns", "get", "turn_00000000000000000000000000"], env);
    expect(await missing.code).toBe(4);
    expect(missing.stderr()).toMatch(/404 not_found/);
    const badKey = turnq(["sessions", "create", "--key", "tq_not_a_key"], env);
    expect(await badKey.code).toBe(4);
    expect(badKey.stderr()).toMatch(/401 unauthorized/);
    const keyFlag = turnq(["sessions", "create", "--key", sys.tenant.key], { TURNQ_URL: sys.api.url });
    expect(await keyFlag.code).toBe(0);
    expect(keyFlag.stdout()).toMatch(/^ses_/);
    const down = turnq(["sessions", "create", "--url", "http://127.0.0.1:9"], env);
    expect(await down.code).toBe(4);
    expect(down.stderr()).toMatch(/did not answer.*check --url/);
  });
});
