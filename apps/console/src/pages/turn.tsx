import type { TimelineEntry, TurnqClient } from "@turnq/client";
import { ms, usd } from "../format.ts";
import { href } from "../route.ts";
import { usePolled } from "../use-polled.ts";

/** A turn's stages as a waterfall (offsets from its submission), its usage, error and trace link. */
export function TurnPage({ client, id }: { client: TurnqClient; id: string }) {
  // An unfinished turn is followed until it ends; a failed load is shown and not retried.
  const { data, error } = usePolled(() => client.turns.timeline(id), (t) => (t && t.turn.finishedAt === null ? 1_000 : null), [id]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  const { turn, entries } = data;
  const start = Date.parse(turn.createdAt);
  const end = Math.max(start + 1, ...entries.map((e) => Date.parse(e.at) + ("ms" in e && e.ms ? e.ms : 0)));
  const span = end - start;
  return (
    <section class="turn">
      <header class="page-head">
        <h1 class="mono">{turn.id}</h1>
        <span class={`status ${turn.status}`} data-testid="turn-status">{turn.status}</span>
        <a href={href.session(turn.sessionId)} class="mono">{turn.sessionId}</a>
        {turn.traceUrl ? (
          <a href={turn.traceUrl} target="_blank" rel="noopener noreferrer" data-testid="trace-link">Trace in Jaeger ↗</a>
        ) : (
          <span class="muted" title="Set JAEGER_UI_URL on the API for a link">trace {turn.traceId ?? "–"}</span>
        )}
      </header>
      <dl class="facts">
        <dt>Position</dt><dd>#{turn.position}</dd>
        <dt>Attempts</dt><dd>{turn.attempts}{turn.crashes ? ` (+${turn.crashes} crashed)` : ""}</dd>
        <dt>Agent version</dt><dd>{turn.agentVersion ?? "–"}</dd>
        <dt>Tokens</dt><dd>{turn.usage.inputTokens} in ({turn.usage.cachedInputTokens} cached) · {turn.usage.outputTokens} out</dd>
        <dt>Cost</dt><dd>{usd(turn.usage.costUsd)}</dd>
        <dt>Total</dt><dd>{turn.finishedAt ? ms(Date.parse(turn.finishedAt) - start) : "running"}</dd>
        {turn.error && (<><dt>Error</dt><dd class="error">{turn.error.code}: {turn.error.message}</dd></>)}
      </dl>
      <h2>Timeline</h2>
      {!data.liveEvents && <p class="muted">Live events of this turn have expired (kept an hour): LLM calls and tool durations are no longer known; the stages below come from Postgres.</p>}
      <div class="waterfall" data-testid="timeline">
        {entries.map((e, i) => (
          <div key={i} class={`stage ${e.kind}`} data-kind={e.kind}>
            <span class="label">{label(e)}</span>
            <span class="track">
              <span class="bar" style={{ left: `${((Date.parse(e.at) - start) / span) * 100}%`, width: `${Math.max(0.4, (("ms" in e && e.ms) || 0) / span * 100)}%` }} />
            </span>
            <span class="offset">+{ms(Date.parse(e.at) - start)}</span>
          </div>
        ))}
      </div>
      <h2>Input</h2>
      <pre class="box">{turn.input}</pre>
      {turn.output !== null && (<><h2>Output</h2><pre class="box">{turn.output}</pre></>)}
    </section>
  );
}

function label(e: TimelineEntry): string {
  switch (e.kind) {
    case "submitted":
      return "submitted";
    case "waiting_behind":
      return `waiting behind ${e.turnId} · ${ms(e.ms)}`;
    case "queued":
      return `queued · ${ms(e.ms)}`;
    case "attempt":
      return `attempt ${e.n} starts`;
    case "llm_call":
      return `LLM call · ${ms(e.ms)}${e.ttftMs === null ? "" : ` · first token ${ms(e.ttftMs)}`}${e.endedBy === "tools" ? " · asked for tools" : ""}`;
    case "tool":
      return `tool ${e.name} · ${e.ok === null ? "outcome unknown" : e.ok ? "ok" : "error"} · ${ms(e.ms)}`;
    case "append":
      return e.fromSeq === e.toSeq ? `append #${e.fromSeq}` : `append #${e.fromSeq}–#${e.toSeq} (${e.messages} messages)`;
    case "finished":
      return `finished: ${e.status}`;
  }
}
