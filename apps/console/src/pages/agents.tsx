import type { Agent, TurnqClient } from "@turnq/client";
import { useEffect, useState } from "preact/hooks";
import { errorText } from "../format.ts";

/** Agents and their versions. The API returns HTTP tools' header names only, never their values. */
export function AgentsPage({ client }: { client: TurnqClient }) {
  const [agents, setAgents] = useState<Agent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [versions, setVersions] = useState<Agent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (before?: string) => {
    try {
      const page = await client.agents.list({ before, limit: 50 });
      setAgents((a) => (before ? [...a, ...page.data] : page.data));
      setNext(page.nextBefore);
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => void load(), []);
  return (
    <section>
      <header class="page-head"><h1>Agents</h1></header>
      {error && <p class="error">{error}</p>}
      <table class="list" data-testid="agents">
        <thead><tr><th>Agent</th><th>Name</th><th>Version</th><th>Model</th><th>Tools</th></tr></thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.id}>
              <td><button type="button" class="link mono" onClick={() => void client.agents.versions(a.id).then((v) => setVersions(v.data), (e) => setError(errorText(e)))}>{a.id}</button></td>
              <td>{a.name}</td><td>v{a.version}</td><td class="mono">{a.model ?? "default"}</td>
              <td>{[...a.tools, ...a.httpTools.map((t) => t.name)].join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {agents.length === 0 && !error && <p class="muted">No agents yet (sessions use the configured default).</p>}
      {next && <button type="button" onClick={() => void load(next)}>Load more</button>}
      {versions && (
        <div class="versions">
          <h2>{versions[0]?.name} <span class="muted mono">{versions[0]?.id}</span></h2>
          {versions.map((v) => (
            <details key={v.version} open={v === versions[0]}>
              <summary>v{v.version} · {new Date(v.createdAt).toLocaleString()} · {v.model ?? "default model"}</summary>
              <pre class="box">{JSON.stringify({ systemPrompt: v.systemPrompt, tools: v.tools, httpTools: v.httpTools, limits: v.limits, summaryModel: v.summaryModel }, null, 2)}</pre>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}
