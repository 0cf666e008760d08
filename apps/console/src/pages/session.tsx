import type { Session, Turn, TurnqClient, TurnqEvent } from "@turnq/client";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { errorText, ms, short, usd } from "../format.ts";
import { href } from "../route.ts";
import { serialRefresh } from "../serial-refresh.ts";
import { MessageLog, type LogEntry } from "./message-log.tsx";

interface LiveTool {
  callId: string;
  name: string;
  state: "running" | "ok" | "error";
  durationMs?: number;
}
interface LiveTurn {
  text: string;
  tools: LiveTool[];
}

const finalStatuses = new Set(["completed", "failed", "cancelled"]);

/**
 * One conversation: the log (virtualised, paged by seq), the running turn as it streams (text
 * deltas, tool calls starting and finishing) from the session's SSE stream, the queue behind it,
 * and buttons to send a turn and cancel one.
 */
export function SessionPage({ client, id }: { client: TurnqClient; id: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [version, setVersion] = useState(0);
  const cache = useRef(new Map<number, LogEntry>()).current;
  const [open, setOpen] = useState<Turn[]>([]);
  const [recent, setRecent] = useState<Turn[]>([]);
  const [live, setLive] = useState<Record<string, LiveTurn>>({});
  const [stream, setStream] = useState<"connecting" | "open" | "reconnecting" | "stopped">("connecting");
  const [streamError, setStreamError] = useState<string | null>(null);

  // Called on every status event, send and cancel: one read at a time, so an older one never wins.
  const refreshTurns = useMemo(
    () =>
      serialRefresh(async () => {
        const [o, r] = await Promise.all([client.sessions.turns(id, { open: true, limit: 100 }), client.sessions.turns(id, { limit: 10 })]);
        setOpen(o.data);
        setRecent(r.data);
      }),
    [client, id],
  );
  const loadPage = async (after: number, limit: number) => {
    const page = await client.sessions.messages(id, { after, limit });
    for (const m of page.data) cache.set(m.seq, m);
    setVersion((v) => v + 1);
  };

  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      try {
        const s = await client.sessions.get(id);
        setSession(s);
        setTotal(s.lastSeq);
        await refreshTurns();
      } catch (err) {
        setError(errorText(err));
        return;
      }
      const onEvent = (e: TurnqEvent) => {
        switch (e.type) {
          case "message":
            cache.set(e.seq, e);
            setTotal((t) => Math.max(t, e.seq));
            setVersion((v) => v + 1);
            break;
          case "message.delta":
            setLive((l) => ({ ...l, [e.turnId]: { text: (l[e.turnId]?.text ?? "") + e.text, tools: l[e.turnId]?.tools ?? [] } }));
            break;
          case "tool.started":
          case "tool.finished":
            setLive((l) => {
              const cur = l[e.turnId] ?? { text: "", tools: [] };
              const tool: LiveTool =
                e.type === "tool.started"
                  ? { callId: e.callId, name: e.name, state: "running" }
                  : { callId: e.callId, name: e.name, state: e.ok ? "ok" : "error", durationMs: e.durationMs };
              const tools = cur.tools.some((t) => t.callId === e.callId) ? cur.tools.map((t) => (t.callId === e.callId ? tool : t)) : [...cur.tools, tool];
              return { ...l, [e.turnId]: { ...cur, tools } };
            });
            break;
          case "turn.status":
            if (finalStatuses.has(e.status)) {
              // Tokens and cost of the session moved.
              void client.sessions.get(id).then(setSession, () => {});
              setLive((l) => {
                const { [e.turnId]: _, ...rest } = l;
                return rest;
              });
            }
            void refreshTurns().catch(() => {});
            break;
          case "gap":
            void refreshTurns().catch(() => {});
            break;
        }
      };
      // Followed for as long as the page is open: reconnects (with Last-Event-ID) never give up.
      const events = client.sessions.stream(id, {
        signal: stop.signal,
        maxRetries: Infinity,
        onOpen: () => setStream("open"),
        onReconnect: () => setStream("reconnecting"),
      });
      try {
        for await (const e of events) onEvent(e);
      } catch (err) {
        // A refused key already sent the console back to its key form (onUnauthorized).
        if (!stop.signal.aborted) (setStream("stopped"), setStreamError(errorText(err)));
      }
    })();
    return () => stop.abort();
  }, [id]);

  if (error) return <p class="error">{error}</p>;
  if (!session) return <p class="muted">Loading…</p>;
  const running = open.find((t) => t.status === "running");
  const queued = open.filter((t) => t.status === "queued");
  return (
    <section class="session">
      <header class="page-head">
        <h1 class="mono">{session.id}</h1>
        <span class="muted">agent {session.agentId ?? "default"} · {total} messages · {session.tokensUsed} tokens · {usd(session.costUsd)}</span>
        <span class={`stream ${stream}`} data-testid="stream-state">{stream === "open" ? "live" : stream === "stopped" ? `stopped: ${streamError}` : stream}</span>
      </header>
      <div class="cols">
        <div class="main-col">
          <MessageLog total={total} cache={cache} version={version} loadPage={loadPage} />
          <SendForm client={client} sessionId={id} onSent={() => void refreshTurns()} />
        </div>
        <aside class="side-col">
          <h2>Running</h2>
          {running ? (
            <LiveTurnPanel turn={running} live={live[running.id]} client={client} onChange={() => void refreshTurns()} />
          ) : (
            <p class="muted">Nothing running.</p>
          )}
          <h2>Queued ({queued.length})</h2>
          <ol class="queue" data-testid="queue">
            {queued.map((t) => (
              <li key={t.id} data-turn={t.id}>
                <a href={href.turn(t.id)} class="mono">{short(t.id)}</a> <span class="muted">#{t.position}</span>
                <div class="muted">
                  position {t.queuePosition ?? "?"} · waiting behind {t.blockedBy ? <a href={href.turn(t.blockedBy)} class="mono">{short(t.blockedBy)}</a> : "nothing"}
                </div>
                <div class="input-preview">{t.input}</div>
                <CancelButton client={client} turn={t} onDone={() => void refreshTurns()} />
              </li>
            ))}
          </ol>
          <h2>Recent turns</h2>
          <table class="list compact" data-testid="recent-turns">
            <tbody>
              {recent.map((t) => (
                <tr key={t.id}>
                  <td><a href={href.turn(t.id)} class="mono">{short(t.id)}</a></td>
                  <td><span class={`status ${t.status}`}>{t.status}</span></td>
                  <td>{t.startedAt && t.finishedAt ? ms(Date.parse(t.finishedAt) - Date.parse(t.startedAt)) : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </aside>
      </div>
    </section>
  );
}

function LiveTurnPanel({ turn, live, client, onChange }: { turn: Turn; live: LiveTurn | undefined; client: TurnqClient; onChange: () => void }) {
  return (
    <div class="live" data-testid="live-turn" data-turn={turn.id}>
      <div>
        <a href={href.turn(turn.id)} class="mono">{short(turn.id)}</a> <span class="status running">running</span> <span class="muted">attempt {turn.attempts}</span>
      </div>
      <div class="input-preview">{turn.input}</div>
      <ul class="tools">
        {(live?.tools ?? []).map((t) => (
          <li key={t.callId} class={`tool-row ${t.state}`} data-testid="tool-row" data-state={t.state}>
            <span class="mono">{t.name}</span> <span class="muted mono">{t.callId}</span> {t.state === "running" ? "running…" : `${t.state} · ${ms(t.durationMs)}`}
          </li>
        ))}
      </ul>
      <div class="live-text" data-testid="live-text">{live?.text ?? ""}</div>
      <CancelButton client={client} turn={turn} onDone={onChange} />
    </div>
  );
}

function CancelButton({ client, turn, onDone }: { client: TurnqClient; turn: Turn; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class="danger"
      data-testid={`cancel-${turn.id}`}
      disabled={busy || turn.cancelRequested}
      onClick={async () => {
        setBusy(true);
        await client.turns.cancel(turn.id).catch(() => {});
        setBusy(false);
        onDone();
      }}
    >
      {turn.cancelRequested ? "Cancelling…" : "Cancel"}
    </button>
  );
}

function SendForm({ client, sessionId, onSent }: { client: TurnqClient; sessionId: string; onSent: () => void }) {
  const [input, setInput] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="send"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!input.trim()) return;
        try {
          await client.turns.send(sessionId, input);
          setInput("");
          setError(null);
          onSent();
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <textarea name="input" rows={2} placeholder="Send a turn…" value={input} onInput={(e) => setInput(e.currentTarget.value)} />
      <button type="submit">Send</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}
