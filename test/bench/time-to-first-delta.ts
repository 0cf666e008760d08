import { performance } from "node:perf_hooks";
import { readSse, type SseEvent } from "../support/sse.ts";
import { baseScenario, intEnv, log, type PartOutcome } from "./bench-env.ts";
import { startBenchSystem } from "./bench-system.ts";
import { summary } from "./stats.ts";

export interface TtfdResult {
  turns: number;
  clients: number;
  llmLatencyMs: number;
  simFirstTokenMs: number;
  /** POST sent → first message.delta at the SSE client, minus the simulator's own first-token time. */
  overheadMs: { p50: number; p99: number };
  /** POST sent → first message.delta, as the client sees it. */
  firstDeltaMs: { p50: number; p99: number };
  /** POST sent → `turn.status: running`. */
  runningMs: { p50: number; p99: number };
  /** POST sent → `turn.status: completed` on the stream (the whole turn, as a streaming client sees it). */
  completedMs: { p50: number; p99: number };
  /** Turns that took over 5 s on the stream (each should take ~250 ms): events that waited for a wake-up. */
  turnsOver5s: number;
}

/**
 * Time to first delta: what a streaming client waits beyond what the model itself takes. Each
 * client opens its session's event stream before its first turn (from the start of the stream, so
 * no event can be missed), then submits turns one at a time; the simulator sends its first chunk
 * `firstTokenMs` after it has the request, so (POST → first delta) − firstTokenMs is turnq's share:
 * accept, queue, claim, context, request, and the event path Redis → API → SSE.
 */
export async function runTtfdBench(): Promise<PartOutcome<TtfdResult>> {
  const base = baseScenario();
  const turns = intEnv("BENCH_TTFD_TURNS", 200);
  const clients = intEnv("BENCH_TTFD_CLIENTS", 8);
  const llmLatencyMs = 200;
  const firstTokenMs = 50;
  // The first turns of each client are not counted: they pay JIT and connection set-up once.
  const warmup = intEnv("BENCH_TTFD_WARMUP_TURNS", 3, 0);
  const perClient = Math.ceil(turns / clients) + warmup;
  log(`ttfd: starting system; ${clients} clients × ${perClient} turns, LLM ${llmLatencyMs} ms, first token ${firstTokenMs} ms`);
  const sys = await startBenchSystem({ llmLatencyMs, workers: base.workers, concurrency: base.concurrency, sim: { firstTokenMs } });
  const running: number[] = [];
  const firstDelta: number[] = [];
  const completed: number[] = [];
  const failures: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const res = await fetch(`${sys.api.url}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json", ...sys.auth }, body: "{}" });
        const session = (await res.json()) as { id: string };
        // Events of the turn in flight are handed to `current`; the stream stays open for all turns.
        let current: { id: string; onEvent(e: SseEvent, at: number): void } | undefined;
        const early: { e: SseEvent; at: number }[] = [];
        let finished = 0;
        const stream = readSse(`${sys.api.url}/v1/sessions/${session.id}/events`, {
          ms: perClient * 30_000 + 10_000, // ends with the last turn; this only bounds a broken run
          until: (e) => {
            const at = performance.now();
            if (current && e.data?.turnId === current.id) current.onEvent(e, at);
            else early.push({ e, at }); // the POST's answer (the turn id) can arrive after its first events
            if (e.event === "turn.status" && ["completed", "failed", "cancelled"].includes(e.data?.status)) finished++;
            return finished >= perClient;
          },
        });
        for (let n = 0; n < perClient; n++) {
          await new Promise<void>((resolve, reject) => {
            const t: { running?: number; delta?: number } = {};
            const sentAt = performance.now();
            const timer = setTimeout(() => reject(new Error("ttfd: turn not finished within 30 s")), 30_000);
            const seen: string[] = [];
            const onEvent = (e: SseEvent, at: number) => {
              seen.push(`${e.event === "turn.status" ? e.data.status : e.event} +${Math.round(at - sentAt)}`);
              if (e.event === "turn.status" && e.data.status === "running") t.running ??= at - sentAt;
              if (e.event === "message.delta") t.delta ??= at - sentAt;
              if (e.event === "turn.status" && ["completed", "failed", "cancelled"].includes(e.data.status)) {
                clearTimeout(timer);
                if (e.data.status !== "completed") failures.push(`ttfd: turn ${e.data.turnId} ${e.data.status}`);
                else if (t.running === undefined || t.delta === undefined) failures.push(`ttfd: turn ${e.data.turnId} missing events`);
                else if (n >= warmup) (running.push(t.running), firstDelta.push(t.delta), completed.push(at - sentAt));
                // Each turn takes ~250 ms; show where a slow one waited (event, ms after the POST).
                if (at - sentAt > 5000) log(`ttfd: slow turn ${e.data.turnId}: ${seen.join(", ")}`);
                resolve();
              }
            };
            fetch(`${sys.api.url}/v1/sessions/${session.id}/turns`, {
              method: "POST",
              headers: { "content-type": "application/json", ...sys.auth },
              body: JSON.stringify({ input: `ttfd turn ${n}` }),
            })
              .then(async (r) => {
                if (r.status !== 202) throw new Error(`ttfd: POST turn ${r.status} ${await r.text()}`);
                current = { id: ((await r.json()) as { id: string }).id, onEvent };
                for (const { e, at } of early.splice(0)) if (e.data?.turnId === current.id) onEvent(e, at);
              })
              .catch(reject);
          });
        }
        await stream;
      }),
    );
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    await sys.stop();
    log(`ttfd: ${firstDelta.length} turns measured; system stopped`);
  }
  return {
    result: {
      turns: firstDelta.length,
      clients,
      llmLatencyMs,
      simFirstTokenMs: firstTokenMs,
      overheadMs: summary(firstDelta.map((ms) => ms - firstTokenMs)),
      firstDeltaMs: summary(firstDelta),
      runningMs: summary(running),
      completedMs: summary(completed),
      turnsOver5s: completed.filter((ms) => ms > 5000).length,
    },
    failures,
  };
}
