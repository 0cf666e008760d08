import type { SessionListItem, TurnqClient } from "@turnq/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { ago, errorText, usd } from "../format.ts";
import { href } from "../route.ts";

/** The caller's sessions, newest first, searched on the server and paged by keyset ("Load more"). */
export function SessionsPage({ client }: { client: TurnqClient }) {
  const [q, setQ] = useState("");
  const [active, setActive] = useState(false);
  const [rows, setRows] = useState<SessionListItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Bumped by every new search: an answer to an older one (slower than the next) is dropped, so
  // the rows always match what the search box says, and "Load more" never appends another search's.
  const search = useRef(0);
  const load = async (before?: string) => {
    const asked = search.current;
    try {
      const page = await client.sessions.list({ q: q.trim() || undefined, active: active || undefined, before, limit: 50 });
      if (asked !== search.current) return;
      setRows((r) => (before ? [...r, ...page.data] : page.data));
      setNext(page.nextBefore);
      setError(null);
    } catch (err) {
      if (asked === search.current) setError(errorText(err));
    }
  };
  // Searches as the operator types, a moment after the last key.
  useEffect(() => {
    search.current++;
    const t = setTimeout(() => void load(), 200);
    return () => clearTimeout(t);
  }, [q, active]);

  const create = async () => {
    try {
      const s = await client.sessions.create();
      location.hash = href.session(s.id);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section>
      <header class="page-head">
        <h1>Sessions</h1>
        <input type="search" name="q" placeholder="Search id, agent, metadata…" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <label class="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} /> with open turns
        </label>
        <button type="button" onClick={() => void create()}>New session</button>
      </header>
      {error && <p class="error">{error}</p>}
      <table class="list" data-testid="sessions">
        <thead>
          <tr><th>Session</th><th>Agent</th><th>Metadata</th><th>Last turn</th><th>Open</th><th>Tokens</th><th>Cost</th></tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id}>
              <td><a href={href.session(s.id)} class="mono">{s.id}</a></td>
              <td class="mono">{s.agentId ?? "default"}</td>
              <td class="meta">{Object.entries(s.metadata).map(([k, v]) => <span key={k} class="tag">{k}={typeof v === "string" ? v : JSON.stringify(v)}</span>)}</td>
              <td>{s.lastTurnStatus ? <span class={`status ${s.lastTurnStatus}`}>{s.lastTurnStatus}</span> : null} {ago(s.lastTurnAt ?? s.createdAt)}</td>
              <td>{s.openTurns || ""}</td>
              <td>{s.tokensUsed}</td>
              <td>{usd(s.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !error && <p class="muted">No sessions{q ? " match" : " yet"}.</p>}
      {next && <button type="button" onClick={() => void load(next)}>Load more</button>}
    </section>
  );
}
