import { randomBytes } from "node:crypto";
import type { RecordedRequest } from "@turnq/llm-simulator";
import { baseScenario, intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { runClosedLoop } from "./closed-loop.ts";
import { median, round1, summary } from "./stats.ts";
import { startToolServer, toolPhases } from "./tool-server.ts";

export interface ToolsResult {
  clients: number;
  workers: number;
  turns: number;
  turnsPerSec: number;
  e2eMs: { p50: number; p99: number };
  toolCallsPerTurn: number;
  toolDelayMs: number;
  /** Tool server's view: first call arrives → last call answered. ~toolDelayMs when parallel. */
  toolPhaseMs: { p50: number; p99: number };
  /** Simulator's view: end of the tool-calling LLM reply → start of the follow-up call. */
  toolStepMs: { p50: number; p99: number };
}

const CALLS = 3;

/**
 * A tool-using agent under closed-loop load. Every turn's model reply asks for three parallel-safe
 * HTTP tool calls to a loopback tool that takes 100 ms, then answers from their results. If the
 * worker ran them one at a time the tool phase would be ~300 ms; parallel, ~100 ms.
 */
export async function runToolsBench(): Promise<PartOutcome<ToolsResult>> {
  const base = baseScenario();
  const clients = intEnv("BENCH_TOOLS_CLIENTS", 32);
  const warmupSeconds = intEnv("BENCH_TOOLS_WARMUP_SECONDS", 2, 0);
  const measureSeconds = intEnv("BENCH_TOOLS_SECONDS", 10);
  const toolDelayMs = intEnv("BENCH_TOOL_DELAY_MS", 100);
  const tools = await startToolServer(toolDelayMs);
  log(`tools: starting system (${base.workers} workers × concurrency ${base.concurrency})`);
  const sys = await startBenchSystem({
    llmLatencyMs: intEnv("BENCH_TOOLS_LLM_MS", 0, 0),
    workers: base.workers,
    concurrency: base.concurrency,
    sim: { recordLimit: 1_000_000 },
    workerEnv: { HTTP_TOOLS_ALLOW_PRIVATE: "true" }, // the tool is on loopback
  }).catch(async (err) => {
    await tools.close();
    throw err;
  });
  try {
    const res = await fetch(`${sys.api.url}/v1/agents`, {
      method: "POST",
      headers: { "content-type": "application/json", ...sys.auth },
      body: JSON.stringify({
        name: "bench-tools",
        httpTools: [{ name: "slow", description: "Answers after a while", url: tools.url, parallelSafe: true }],
      }),
    });
    if (res.status !== 201) throw new Error(`POST /v1/agents: ${res.status} ${await res.text()}`);
    const agent = (await res.json()) as { id: string };
    let window = { from: 0, to: 0 };
    const loop = await runClosedLoop({
      baseUrl: sys.api.url,
      clients,
      tag: randomBytes(3).toString("hex"),
      sessionBody: { agentId: agent.id },
      inputSuffix: `[[sim tools=${Array(CALLS).fill("slow").join(",")}]]`,
      onStart(now) {
        window = { from: now + warmupSeconds * 1000, to: now + (warmupSeconds + measureSeconds) * 1000 };
        log(`tools: ${clients} clients running; warm-up ${warmupSeconds} s, measuring ${measureSeconds} s`);
        return window.to;
      },
    });
    const measured = loop.samples.filter((s) => s.doneAt >= window.from && s.doneAt <= window.to);
    const phases = toolPhases(tools.hits);
    const steps = llmGaps(sys.sim.requests);
    const phaseMs = measured.flatMap((s) => phases.get(s.turnId)?.ms ?? []);
    const stepMs = measured.flatMap((s) => steps.get(s.input) ?? []);
    const calls = measured.map((s) => phases.get(s.turnId)?.calls ?? 0);
    // Each tool answers {"done":true,…}; the simulator's final reply quotes every result.
    const bad = loop.samples.filter((s) => s.status !== "completed" || (s.output?.split('"done":true').length ?? 0) - 1 !== CALLS);
    const failures = [...loop.errors.slice(0, 5), ...bad.slice(0, 5).map((s) => `tools: turn ${s.turnId} ${s.status}: ${s.output?.slice(0, 200)}`)];
    if (bad.length + loop.errors.length > 0) failures.unshift(`tools: ${bad.length} bad turns, ${loop.errors.length} request errors`);
    log(`tools: ${loop.samples.length} turns in all, ${measured.length} measured, ${bad.length} bad, ${tools.hits.length} tool calls`);
    return {
      result: {
        clients,
        workers: base.workers,
        turns: measured.length,
        turnsPerSec: round1(measured.length / measureSeconds),
        e2eMs: summary(measured.map((s) => s.doneAt - s.sentAt)),
        toolCallsPerTurn: median(calls),
        toolDelayMs,
        toolPhaseMs: summary(phaseMs),
        toolStepMs: summary(stepMs),
      },
      failures,
    };
  } finally {
    await sys.stop();
    await tools.close();
    log("tools: system stopped");
  }
}

/** Per input: the first LLM call's end to the follow-up's (last message a tool result) start. */
function llmGaps(requests: readonly RecordedRequest[]): Map<string, number> {
  const firstEnd = new Map<string, number>();
  const followStart = new Map<string, number>();
  for (const r of requests) {
    const msgs = r.messages as { role?: string; content?: unknown }[];
    const user = msgs.findLast((m) => m.role === "user");
    if (typeof user?.content !== "string") continue;
    if (msgs.at(-1)?.role === "tool") followStart.set(user.content, r.startedAt);
    else if (r.endedAt !== undefined) firstEnd.set(user.content, r.endedAt);
  }
  const gaps = new Map<string, number>();
  for (const [input, end] of firstEnd) {
    const start = followStart.get(input);
    if (start !== undefined) gaps.set(input, start - end);
  }
  return gaps;
}
