import type { MessageRow, TurnRow } from "@turnq/db";
import type { StreamedEvent } from "@turnq/queue";

/** One stage of a turn, with its start and (for spans of time) its length in milliseconds. */
export type TimelineEntry =
  | { kind: "submitted"; at: string }
  | { kind: "waiting_behind"; at: string; ms: number; turnId: string }
  | { kind: "queued"; at: string; ms: number }
  | { kind: "attempt"; at: string; n: number }
  | { kind: "llm_call"; at: string; ms: number; ttftMs: number | null; endedBy: "tools" | "answer" | "unknown" }
  | { kind: "tool"; at: string; ms: number | null; name: string; callId: string; ok: boolean | null }
  | { kind: "append"; at: string; fromSeq: number; toSeq: number; messages: number }
  | { kind: "finished"; at: string; status: string };

export interface TimelineInput {
  turn: TurnRow;
  previous: TurnRow | undefined;
  /** The turn's live events still in the stream (an hour), oldest first. */
  events: StreamedEvent[];
  toolIntents: { callId: string; name: string; startedAt: Date }[];
  messages: MessageRow[];
}

/**
 * Rebuilds a turn's stages from what is already recorded: Postgres (the turn's times, the turn
 * before it, tool-call intents, the messages it appended) and the live events of its session
 * stream, whose ids carry their millisecond time. An LLM call runs from an attempt's start (or the
 * end of the previous tool round) to its first tool start or the append; its time to first token is
 * the first text delta (deltas are batched, so it is late by at most one batch; a delta held while
 * nobody followed the session carries the time its text arrived). Once the live
 * events have expired, the stages Postgres alone knows are returned and `liveEvents` is false.
 */
export function buildTimeline(input: TimelineInput): { entries: TimelineEntry[]; liveEvents: boolean } {
  const { turn, previous } = input;
  const entries: TimelineEntry[] = [{ kind: "submitted", at: iso(turn.createdAt.getTime()) }];
  const created = turn.createdAt.getTime();
  let queuedFrom = created;
  const prevEnd = previous?.finishedAt?.getTime();
  if (previous && prevEnd !== undefined && prevEnd > created) {
    entries.push({ kind: "waiting_behind", at: iso(created), ms: prevEnd - created, turnId: previous.id });
    queuedFrom = prevEnd;
  }
  // A held event (written with a later one, see follow-signals in @turnq/queue) carries its own time.
  const timeOf = (e: StreamedEvent) => e.at ?? Number(e.id.split("-")[0]);
  const firstRun = input.events.find((e) => parse(e).type === "turn.status" && parse(e).status === "running");
  const startedAt = firstRun ? timeOf(firstRun) : turn.startedAt?.getTime();
  if (startedAt !== undefined) entries.push({ kind: "queued", at: iso(queuedFrom), ms: Math.max(0, startedAt - queuedFrom) });

  let attempt = 0;
  let callStart: number | undefined;
  let firstDelta: number | undefined;
  const openTools = new Map<string, number>();
  const toolEntries = new Map<string, Extract<TimelineEntry, { kind: "tool" }>>();
  const closeCall = (at: number, endedBy: "tools" | "answer" | "unknown") => {
    if (callStart === undefined) return;
    entries.push({ kind: "llm_call", at: iso(callStart), ms: at - callStart, ttftMs: firstDelta === undefined ? null : firstDelta - callStart, endedBy });
    callStart = undefined;
    firstDelta = undefined;
  };
  for (const e of input.events) {
    const t = timeOf(e);
    const ev = parse(e);
    if (ev.type === "turn.status" && ev.status === "running") {
      closeCall(t, "unknown");
      entries.push({ kind: "attempt", at: iso(t), n: ++attempt });
      callStart = t;
    } else if (ev.type === "message.delta") {
      if (callStart !== undefined && firstDelta === undefined) firstDelta = t;
    } else if (ev.type === "tool.started" && typeof ev.callId === "string") {
      closeCall(t, "tools");
      openTools.set(ev.callId, t);
      const entry = { kind: "tool" as const, at: iso(t), ms: null, name: String(ev.name), callId: ev.callId, ok: null };
      toolEntries.set(ev.callId, entry);
      entries.push(entry);
    } else if (ev.type === "tool.finished" && typeof ev.callId === "string") {
      const entry = toolEntries.get(ev.callId);
      if (entry) {
        entry.ms = typeof ev.durationMs === "number" ? ev.durationMs : t - (openTools.get(ev.callId) ?? t);
        entry.ok = ev.ok === true;
      }
      openTools.delete(ev.callId);
      if (openTools.size === 0) callStart = t;
    } else if (ev.type === "message") {
      // The assistant's tool calls are logged before the tools run, their results before the next
      // call, and the answer at the end: each marks where a model call ended or begins.
      const calls = (ev.content as { toolCalls?: unknown[] } | undefined)?.toolCalls;
      if (ev.role === "assistant") closeCall(t, Array.isArray(calls) && calls.length > 0 ? "tools" : "answer");
      else if (ev.role === "tool" && callStart !== undefined && firstDelta === undefined) callStart = t;
    } else if (ev.type === "turn.status") {
      closeCall(t, "unknown");
    }
  }
  // Tools Postgres knows of that the live events no longer (or never) showed.
  for (const intent of input.toolIntents) {
    if (!toolEntries.has(intent.callId)) {
      entries.push({ kind: "tool", at: iso(intent.startedAt.getTime()), ms: null, name: intent.name, callId: intent.callId, ok: null });
    }
  }
  // Each append statement stamps its messages with its own time: one entry per statement.
  let group: MessageRow[] = [];
  const flush = () => {
    if (group.length === 0) return;
    entries.push({ kind: "append", at: iso(group[0]!.createdAt.getTime()), fromSeq: group[0]!.seq, toSeq: group.at(-1)!.seq, messages: group.length });
    group = [];
  };
  for (const m of input.messages) {
    if (group.length > 0 && group[0]!.createdAt.getTime() !== m.createdAt.getTime()) flush();
    group.push(m);
  }
  flush();
  if (turn.finishedAt) entries.push({ kind: "finished", at: iso(turn.finishedAt.getTime()), status: turn.status });
  entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { entries, liveEvents: input.events.length > 0 };
}

function parse(e: StreamedEvent): {
  type?: string;
  status?: string;
  role?: string;
  content?: unknown;
  callId?: unknown;
  name?: unknown;
  ok?: unknown;
  durationMs?: unknown;
} {
  try {
    return JSON.parse(e.data) as ReturnType<typeof parse>;
  } catch {
    return {};
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
