import type { LogEntry } from "./summary-entry.ts";

/**
 * The indivisible pieces of a history: a single message, or an assistant tool call together with
 * the tool results that answer it. Providers reject a tool result whose call is missing and a call
 * whose results are missing, so a window keeps or drops a group whole.
 */
export interface HistoryUnit<E extends LogEntry = LogEntry> {
  entries: E[];
  /** Tool results whose call is not in this history (it was cut away before loading). */
  orphan: boolean;
  /** A tool call some of whose results are not in the log (a turn cut short): never sendable. */
  incomplete: boolean;
}

export function groupUnits<E extends LogEntry>(history: readonly E[]): HistoryUnit<E>[] {
  const units: HistoryUnit<E>[] = [];
  let open: { unit: HistoryUnit<E>; ids: Set<string> } | undefined;
  for (const entry of history) {
    if (entry.role === "tool") {
      const id = entry.content.toolCallId;
      if (open && id !== undefined && open.ids.has(id)) {
        open.unit.entries.push(entry);
        continue;
      }
      // A result that answers no call we hold: joins a preceding orphan run, or starts one.
      const last = units.at(-1);
      if (!open && last?.orphan) last.entries.push(entry);
      else units.push({ entries: [entry], orphan: true, incomplete: false });
      open = undefined;
      continue;
    }
    const calls = entry.role === "assistant" ? entry.content.toolCalls : undefined;
    const unit: HistoryUnit<E> = { entries: [entry], orphan: false, incomplete: Boolean(calls?.length) };
    units.push(unit);
    open = calls?.length ? { unit, ids: new Set(calls.map((c) => c.id)) } : undefined;
  }
  for (const unit of units) {
    if (!unit.incomplete) continue;
    const answered = new Set(unit.entries.map((e) => e.content.toolCallId));
    unit.incomplete = unit.entries[0]!.content.toolCalls!.some((c) => !answered.has(c.id));
  }
  return units;
}

/**
 * The largest end index <= `end` at which `entries` can be cut without separating a tool call from
 * its results; entries[0..result) stay together on one side. `entries` must be contiguous in seq.
 */
export function groupSafeEnd(entries: readonly LogEntry[], end: number): number {
  let e = Math.min(end, entries.length);
  while (e > 0 && e < entries.length && entries[e]!.role === "tool") e--;
  return e;
}
