import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { apiEnvSchema, startApi, type RunningApi } from "@turnq/api";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, useApiKey, waitTurn } from "../support/http.ts";
import { readSse, type SseEvent } from "../support/sse.ts";
import { startSystem, type TestSystem } from "../support/system.ts";

describe("the agent loop through the API", () => {
  let sys: TestSystem;
  let toolServer: Server;
  let toolUrl: string;
  const toolCalls: { start: number; end: number; key: string | undefined; token?: string | undefined; body: string }[] = [];
  // Calls to `?barrier=3` wait until three are in flight, then all are answered: only calls made
  // at the same time can complete (calls made one after another would time out), whatever the load.
  const atBarrier: (() => void)[] = [];

  beforeAll(async () => {
    // A slow side-effecting HTTP tool on loopback (the worker is told to allow private addresses).
    toolServer = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const start = Date.now();
        if (req.url?.includes("hang=1")) return; // answers never; the client aborts
        if (req.url?.includes("status=500")) {
          res.statusCode = 500;
          return res.end("boom");
        }
        const answer = () => {
          toolCalls.push({ start, end: Date.now(), key: req.headers["idempotency-key"] as string | undefined, token: req.headers["x-tool-token"] as string | undefined, body });
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ ok: true, echo: body }));
        };
        if (req.url?.includes("barrier=3")) {
          atBarrier.push(answer);
          if (atBarrier.length === 3) for (const a of atBarrier.splice(0)) a();
          return;
        }
        setTimeout(answer, 300);
      });
    });
    await new Promise<void>((r) => toolServer.listen(0, "127.0.0.1", r));
    toolUrl = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}/tool`;
    sys = await startSystem({ workers: 1, workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true" } });
  });
  afterAll(async () => {
    await sys?.stop();
    await new Promise((r) => toolServer?.close(r));
  });

  async function sessionWithAgent(extra: Record<string, unknown> = {}) {
    const agent = await post(sys.api.url, "/v1/agents", {
      name: "tester",
      tools: ["current_time"],
      httpTools: [{ name: "slow", description: "slow tool", url: toolUrl, parallelSafe: true, idempotent: false }],
      ...extra,
    });
    expect(agent.status).toBe(201);
    return (await post(sys.api.url, "/v1/sessions", { agentId: agent.body.id })).body.id as string;
  }

  it("runs three parallel-safe tools at the same time and logs results in call order", async () => {
    const sessionId = await sessionWithAgent({
      // The header is sealed when the agent is stored; the worker opens it to call the tool.
      httpTools: [{ name: "slow", description: "slow tool", url: `${toolUrl}?barrier=3`, parallelSafe: true, idempotent: false, headers: { "x-tool-token": "tok-sealed-at-rest" } }],
    });
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: 'go [[sim tools=slow,slow,slow args={"n":1}]]' });
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("completed");
    const calls = toolCalls.slice(-3);
    expect(calls).toHaveLength(3);
    // Concurrent: all three were in flight at once (the barrier answers none before the third arrives).
    expect(Math.max(...calls.map((c) => c.start))).toBeLessThanOrEqual(Math.min(...calls.map((c) => c.end)));
    expect(new Set(calls.map((c) => c.key)).size).toBe(3);
    expect(calls.map((c) => c.token)).toEqual(Array(3).fill("tok-sealed-at-rest"));
    const stored = await sys.db.sql`select config::text as c from agents`;
    expect(stored.some((r) => /"sealedHeaders": ?"v1\.k1\./.test(String(r["c"])))).toBe(true);
    expect(stored.map((r) => String(r["c"])).join("\n")).not.toContain("tok-sealed-at-rest");
    expect(calls.every((c) => c.key?.startsWith(`${turn.body.id}:`))).toBe(true);

    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    expect(log.map((m: any) => m.role)).toEqual(["user", "assistant", "tool", "tool", "tool", "assistant"]);
    const ids = log[1].content.toolCalls.map((c: any) => c.id);
    expect(log.slice(2, 5).map((m: any) => m.content.toolCallId)).toEqual(ids);
    expect(log[5].content.text).toMatch(/^Tool results: /);
    expect(done.usage.inputTokens).toBeGreaterThan(0);
  });

  it("gives the model an error result for an unknown tool instead of failing the turn", async () => {
    const sessionId = await sessionWithAgent();
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "x [[sim tool=nope]]" });
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("completed");
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    expect(log[2].content.text).toMatch(/nope/);
  });

  it("stops at the agent's iteration limit with a clear error and a valid log", async () => {
    const sessionId = await sessionWithAgent({ limits: { maxIterations: 1 } });
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "loop [[sim tool=current_time]]" });
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("failed");
    expect(done.error.code).toBe("agent_limit_reached");
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    const callIds = log.flatMap((m: any) => m.content.toolCalls?.map((c: any) => c.id) ?? []);
    const answered = log.map((m: any) => m.content.toolCallId).filter(Boolean);
    expect(answered).toEqual(callIds);
  });

  it("fails a turn that runs past the agent's deadline, with a clear error, without waiting for the model", async () => {
    const sessionId = await sessionWithAgent({ limits: { turnDeadlineMs: 1_000 } });
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "slow [[sim delay=30000]]" });
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ code: "agent_limit_reached", message: "The turn ran past its deadline of 1000 ms." });
    // The model would have answered after 30 s; the deadline ended the turn long before.
    expect(Date.parse(done.finishedAt) - Date.parse(done.startedAt)).toBeLessThan(20_000);
  });

  it("streams status, tool progress and deltas in order, and resumes after Last-Event-ID on another API process", async () => {
    const sessionId = await sessionWithAgent();
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "stream [[sim tools=slow,current_time]]" });
    const url = (base: string) => `${base}/v1/turns/${turn.body.id}/events`;
    const all = await readSse(url(sys.api.url), { until: (e) => e.event === "turn.status" && e.data.status === "completed" });
    const types = all.map((e) => e.event);
    expect(types[0]).toBe("turn.status");
    expect(all[0]!.data.status).toBe("running");
    expect(types.filter((t) => t === "tool.started")).toHaveLength(2);
    expect(types.filter((t) => t === "tool.finished")).toHaveLength(2);
    expect(types.lastIndexOf("tool.finished")).toBeLessThan(types.indexOf("message.delta"));
    expect(types.at(-1)).toBe("turn.status");
    const text = all.filter((e) => e.event === "message.delta").map((e) => e.data.text).join("");
    expect(text).toBe((await get(sys.api.url, `/v1/turns/${turn.body.id}`)).body.output);

    // A second API process serves the rest of the stream after the third event, no gap, no repeat.
    const other: RunningApi = await startApi(
      apiEnvSchema.parse({ DATABASE_URL: sys.db.url, REDIS_URL: sys.redisUrl, TURNQ_PREFIX: sys.prefix, PORT: "0", DB_POOL_MAX: "4" }),
      pino({ level: "warn" }),
    );
    useApiKey(other.url, sys.tenant.key);
    try {
      const resumed = await readSse(url(other.url), {
        headers: { "last-event-id": all[2]!.id! },
        until: (e) => e.event === "turn.status" && e.data.status === "completed",
      });
      expect(resumed.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
    } finally {
      await other.close();
    }
  });

  it("writes a turn's closing events as one stream entry, and resumes inside it with no gap and no repeat", async () => {
    const sessionId = await sessionWithAgent();
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "close [[sim tool=current_time]]" });
    const completed = (e: SseEvent) => e.event === "turn.status" && e.data.status === "completed";
    const turnUrl = `${sys.api.url}/v1/turns/${turn.body.id}/events`;
    const all = await readSse(turnUrl, { until: completed });
    // The closing events (the final answer's message, the status) share the last entry: ids X.0 … X.k-1, then X.
    // Found from the last event: whether the running status went out alone or with the tool's first
    // event depends on whether the reader was following yet when the tool started (TurnLive).
    const entryOf = (id: string) => id.split(/[.~]/)[0]!;
    expect(all.at(-1)!.id).toMatch(/^\d+-\d+~\d+$/);
    const last = entryOf(all.at(-1)!.id!);
    const first = all.findIndex((e) => entryOf(e.id!) === last);
    // The tool's events went out before the turn's end, in entries of their own.
    expect(first).toBeGreaterThan(0);
    const closing = all.slice(first);
    expect(closing.length).toBeGreaterThan(1);
    expect(closing.map((e) => e.id!.replace(/~\d+$/, ""))).toEqual(closing.map((_, k) => (k === closing.length - 1 ? last : `${last}.${k}`)));
    expect(closing.map((e) => e.event)).toContain("message");
    // Resuming after each event of that entry (and after the one before it) continues with the next.
    for (let i = first - 1; i < all.length - 1; i++) {
      const resumed = await readSse(turnUrl, { headers: { "last-event-id": all[i]!.id! }, until: completed });
      expect(resumed.map((e) => e.id)).toEqual(all.slice(i + 1).map((e) => e.id));
    }
    // The session's stream names the same events with the same ids.
    const session = await readSse(`${sys.api.url}/v1/sessions/${sessionId}/events?after=${all[first]!.id!}`, { until: completed });
    expect(session.map((e) => [e.id, e.event])).toEqual(all.slice(first + 1).map((e) => [e.id, e.event]));
  });

  it("writes text deltas while someone follows the session; unfollowed, it holds them, and a reader who joins late gets the whole text", async () => {
    const completed = (turnId: string) => (e: SseEvent) => e.event === "turn.status" && e.data.turnId === turnId && e.data.status === "completed";
    const deltasOf = (events: SseEvent[], turnId: string) => events.filter((e) => e.event === "message.delta" && e.data.turnId === turnId).map((e) => String(e.data.text));
    const turnEvents = (turnId: string) => readSse(`${sys.api.url}/v1/turns/${turnId}/events`, { until: completed(turnId) });
    const stream = "stream [[sim words=150 delay=1500]]";

    // Nobody follows: the text goes out with the settle (the first delta held, then the rest).
    const alone = await sessionWithAgent();
    const quiet = await post(sys.api.url, `/v1/sessions/${alone}/turns`, { input: stream });
    const quietDone = await waitTurn(sys.api.url, quiet.body.id);
    const quietDeltas = deltasOf(await turnEvents(quiet.body.id), quiet.body.id);
    expect(quietDeltas.length).toBeLessThanOrEqual(2);
    expect(quietDeltas.join("")).toBe(quietDone.output);
    // Its running status and first delta went out with its closing events, stamped with when they
    // happened: the timeline still has the model call's 1.5 s and its time to first token.
    const timeline = (await get(sys.api.url, `/v1/turns/${quiet.body.id}/timeline`)).body.entries as { kind: string; ms?: number; ttftMs?: number | null }[];
    expect(timeline.map((e) => e.kind)).toContain("attempt");
    const call = timeline.find((e) => e.kind === "llm_call")!;
    expect(call.ms).toBeGreaterThanOrEqual(1_400);
    expect(call.ttftMs).toBeGreaterThanOrEqual(0);
    expect(call.ttftMs).toBeLessThan(1_000);

    // Someone follows the session (its API process marked it) before the turn starts: a delta per window.
    const watchedSession = await sessionWithAgent();
    const following = readSse(`${sys.api.url}/v1/sessions/${watchedSession}/events`, { until: (e) => e.event === "turn.status" && e.data.status === "completed" });
    const { Redis } = await import("ioredis");
    const r = new Redis(sys.redisUrl);
    try {
      const mark = `${sys.prefix}:s:{${watchedSession}}:watched`;
      for (let i = 0; (await r.exists(mark)) === 0; i++) {
        if (i > 600) throw new Error("the API never marked the followed session");
        await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      r.disconnect();
    }
    const loud = await post(sys.api.url, `/v1/sessions/${watchedSession}/turns`, { input: stream });
    const loudDeltas = deltasOf(await following, loud.body.id);
    expect(loudDeltas.length).toBeGreaterThanOrEqual(10);
    expect(loudDeltas.join("")).toBe((await waitTurn(sys.api.url, loud.body.id)).output);

    // A reader who arrives mid-answer: the text held so far comes as one delta, then batches live.
    // (A session of its own: reading the first turn's events marked `alone` followed for a minute.)
    const late = await post(sys.api.url, `/v1/sessions/${await sessionWithAgent()}/turns`, { input: "stream [[sim words=300 delay=4000]]" });
    for (let i = 0; (await get(sys.api.url, `/v1/turns/${late.body.id}`)).body.status !== "running"; i++) {
      if (i > 600) throw new Error("the turn never started");
      await new Promise((res) => setTimeout(res, 50));
    }
    await new Promise((res) => setTimeout(res, 500));
    const lateDeltas = deltasOf(await turnEvents(late.body.id), late.body.id);
    expect(lateDeltas.length).toBeGreaterThan(3);
    // One of them (the catch-up, the turn's first delta with everything held after it) holds what was
    // streamed before the reader came: far more than a window's.
    const sizes = lateDeltas.map((t) => t.length).sort((a, b) => a - b);
    expect(sizes.at(-1)).toBeGreaterThan(5 * sizes[Math.floor(sizes.length / 2)]!);
    expect(lateDeltas.join("")).toBe((await waitTurn(sys.api.url, late.body.id)).output);
  });

  it("cancels a running turn promptly, keeping the partial answer marked interrupted", async () => {
    const sessionId = await sessionWithAgent();
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "long [[sim words=200 delay=8000 first=100]]" });
    await readSse(`${sys.api.url}/v1/turns/${turn.body.id}/events`, { until: (_e, all) => all.filter((x) => x.event === "message.delta").length >= 3 });
    const started = Date.now();
    const cancel = await post(sys.api.url, `/v1/turns/${turn.body.id}/cancel`, "");
    expect(cancel.status).toBe(202);
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(4_000);
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    expect(log.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect(log[1].content.interrupted).toBe(true);
    expect(log[1].content.text.length).toBeGreaterThan(0);
    // The session goes on: the next turn runs and sees the interrupted exchange.
    const next = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "after" });
    expect((await waitTurn(sys.api.url, next.body.id)).output).toBe("Echo: after (saw 4 messages)");
  });

  it("ends a turn's stream by itself once the turn's final status is out", async () => {
    const sessionId = await sessionWithAgent();
    // Slow enough that the reader is following before the turn ends: the live path closes the stream.
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "ends [[sim delay=500]]" });
    const started = performance.now();
    // No `until`: readSse reads until the server ends the response, or gives up after 30 s.
    const events = await readSse(`${sys.api.url}/v1/turns/${turn.body.id}/events`, { ms: 30_000 });
    expect(performance.now() - started, "the server kept the stream open after the turn ended").toBeLessThan(30_000);
    expect(events[0]!.data.status).toBe("running");
    // Closed on the live final status itself: the 15 s keep-alive's look at Postgres would have sent a second one.
    expect(events.filter((e) => e.event === "turn.status").map((e) => e.data.status)).toEqual(["running", "completed"]);
  });

  it("gives a turn's stream its messages also to a reader who comes as the turn ends (nobody followed it: its events go out with its settle)", async () => {
    for (let i = 0; i < 40; i++) {
      // A session of its own each time: its stream is empty until the turn's settle writes to it.
      const sessionId = await sessionWithAgent();
      const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: `quick ${i}` });
      // Readers at 0-39 ms after the submit: some arrive between the turn's final commit and its settle.
      await new Promise((res) => setTimeout(res, i));
      const events = await readSse(`${sys.api.url}/v1/turns/${turn.body.id}/events`, {
        until: (e) => e.event === "turn.status" && ["completed", "failed", "cancelled"].includes(String(e.data.status)),
      });
      expect(events.filter((e) => e.event === "message").map((e) => e.data.role)).toEqual(["user", "assistant"]);
      expect(events.at(-1)!.id).toMatch(/^\d+-\d+~\d+$/);
    }
  });

  it("replays the durable messages from the log when the live events a client resumes from have expired", async () => {
    const sessionId = await sessionWithAgent();
    const first = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "one" });
    const seen = await readSse(`${sys.api.url}/v1/turns/${first.body.id}/events`, {
      until: (e) => e.event === "turn.status" && e.data.status === "completed",
    });
    const lastId = seen.at(-1)!.id!;
    expect(lastId).toMatch(/^\d+-\d+~2$/);
    const second = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "two [[sim tool=current_time]]" });
    await waitTurn(sys.api.url, second.body.id);
    // The live stream expires (as after an hour): only the log remains.
    const { Redis } = await import("ioredis");
    const r = new Redis(sys.redisUrl);
    await r.del(`${sys.prefix}:s:{${sessionId}}:events`);
    r.disconnect();

    const resumed = await readSse(`${sys.api.url}/v1/sessions/${sessionId}/events`, {
      headers: { "last-event-id": lastId },
      until: (_e, all) => all.filter((x) => x.event === "message").length >= 4,
      ms: 60_000,
    });
    expect(resumed[0]!.event).toBe("gap");
    const messages = resumed.filter((e) => e.event === "message");
    expect(messages.map((e) => [e.data.seq, e.data.role])).toEqual([
      [3, "user"],
      [4, "assistant"],
      [5, "tool"],
      [6, "assistant"],
    ]);
    expect(messages.every((e) => e.data.turnId === second.body.id)).toBe(true);
  });

  it("cancels while a tool runs: the tool is aborted and every tool call gets a result", async () => {
    const sessionId = await sessionWithAgent({
      httpTools: [{ name: "hang", description: "never answers in time", url: `${toolUrl}?hang=1`, timeoutMs: 60_000 }],
    });
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "wait [[sim tools=hang,current_time]]" });
    await readSse(`${sys.api.url}/v1/turns/${turn.body.id}/events`, { until: (e) => e.event === "tool.started" && e.data.name === "hang" });
    const started = Date.now();
    await post(sys.api.url, `/v1/turns/${turn.body.id}/cancel`, "");
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(3_000);
    const log = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data;
    const callIds = log.flatMap((m: any) => m.content.toolCalls?.map((c: any) => c.id) ?? []);
    expect(callIds).toHaveLength(2);
    expect(log.filter((m: any) => m.role === "tool").map((m: any) => m.content.toolCallId)).toEqual(callIds);
    // The session stays usable: the next model call gets a valid log.
    const next = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "next" });
    expect((await waitTurn(sys.api.url, next.body.id)).status).toBe("completed");
  });

  it("gives the model error results for a failing and a timing-out tool, and the turn completes", async () => {
    const sessionId = await sessionWithAgent({
      httpTools: [
        { name: "broken", description: "answers 500", url: `${toolUrl}?status=500` },
        { name: "sluggish", description: "too slow", url: `${toolUrl}?hang=1`, timeoutMs: 200 },
      ],
    });
    const turn = await post(sys.api.url, `/v1/sessions/${sessionId}/turns`, { input: "try [[sim tools=broken,sluggish]]" });
    const done = await waitTurn(sys.api.url, turn.body.id);
    expect(done.status).toBe("completed");
    const results = (await get(sys.api.url, `/v1/sessions/${sessionId}/messages`)).body.data.filter((m: any) => m.role === "tool");
    expect(results[0].content.text).toMatch(/500/);
    expect(results[1].content.text).toMatch(/timed out after 200 ms/);
  });
});
