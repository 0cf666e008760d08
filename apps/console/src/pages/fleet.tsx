import type { TurnqClient } from "@turnq/client";
import { ms } from "../format.ts";
import { usePolled } from "../use-polled.ts";
import { Chart } from "./chart.tsx";

/** Queues, workers, breakers and the last minutes' latencies; refreshed every 5 s. */
export function FleetPage({ client }: { client: TurnqClient }) {
  const { data: fleet, error } = usePolled(() => client.system.fleet({ minutes: 15 }), () => 5_000, []);
  if (!fleet) return error ? <p class="error">{error}</p> : <p class="muted">Loading…</p>;
  return (
    <section class="fleet">
      <header class="page-head"><h1>Fleet</h1><span class="muted">as of {new Date(fleet.at).toLocaleTimeString()}</span></header>
      {error && <p class="error">{error}</p>}
      <div class="cards">
        {fleet.shards.map((s) => (
          <div class="card" key={s.name} data-testid="shard">
            <h3>Queue {s.name}</h3>
            {s.counts ? (
              <p>{s.counts.wait ?? 0} waiting · {s.counts.active ?? 0} active · {s.counts.delayed ?? 0} delayed</p>
            ) : (
              <p class="error">Redis did not answer</p>
            )}
            <p>{s.inFlight} turns in flight</p>
          </div>
        ))}
        <div class="card"><h3>Workers alive</h3><p class="big" data-testid="workers-alive">{fleet.workers.length}</p></div>
        <div class="card">
          <h3>LLM breakers</h3>
          {fleet.breakers.length === 0 && <p class="muted">no workers</p>}
          {fleet.breakers.map((b) => (
            <p key={b.provider}>{b.provider}: <span class={b.open ? "error" : "ok"}>{b.open ? `${b.open} open` : "closed"}</span> ({b.closed} closed)</p>
          ))}
        </div>
        <div class="card"><h3>Reconciler repairs</h3><p class="big">{fleet.reconcilerRepairs}</p></div>
      </div>
      <div class="charts">
        <Chart title="Queue wait (submit → start)" points={fleet.series.map((s) => ({ t: s.minute, a: s.queueWaitP50, b: s.queueWaitP99 }))} />
        <Chart title="Turn duration (start → end)" points={fleet.series.map((s) => ({ t: s.minute, a: s.durationP50, b: s.durationP99 }))} />
      </div>
      <h2>Workers</h2>
      <table class="list">
        <thead><tr><th>Host</th><th>Pid</th><th>In flight</th><th>Breaker</th><th>Warm</th><th>Repairs</th><th>Seen</th></tr></thead>
        <tbody>
          {fleet.workers.map((w) => (
            <tr key={w.instanceId}>
              <td>{w.host}</td><td>{w.pid}</td><td>{w.turnsInFlight}</td>
              <td class={w.breaker === "closed" ? "" : "error"}>{w.provider ?? ""} {w.breaker}</td>
              <td>{w.connectionsWarm ? "yes" : "no"}</td><td>{w.reconcilerRepairs}</td><td>{ms(w.lastSeenMs)} ago</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
