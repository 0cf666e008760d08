import type { TurnqClient } from "../client.ts";
import type { Turn } from "@turnq/contract";
import { exitCodes, UsageError } from "./config.ts";
import { createRenderer, type Output } from "./render.ts";

const onBusyValues = ["enqueue", "reject", "interrupt"] as const;

/**
 * `turnq send <session> "text"`: submits, then follows the turn's events until its final status.
 * While the turn waits behind others a progress line shows its queue position (polled each second).
 * The exit code says how the turn ended.
 */
export async function send(client: TurnqClient, o: Output, args: { session: string; text: string; onBusy?: string; json: boolean; signal: AbortSignal }): Promise<number> {
  if (args.onBusy !== undefined && !(onBusyValues as readonly string[]).includes(args.onBusy)) {
    throw new UsageError(`--on-busy must be one of ${onBusyValues.join(", ")}.`);
  }
  const submitted = await client.turns.submit(
    args.session,
    { input: args.text, ...(args.onBusy ? { onBusy: args.onBusy as (typeof onBusyValues)[number] } : {}) },
    { signal: args.signal },
  );
  if (args.json) o.out(`${JSON.stringify(submitted)}\n`);
  const render = createRenderer(o);
  const progress = new AbortController();
  const waiting = submitted.status === "queued" && !args.json ? showQueuePosition(client, o, submitted.id, AbortSignal.any([progress.signal, args.signal])) : undefined;
  try {
    for await (const e of client.turns.stream(submitted.id, { signal: args.signal })) {
      if (e.type !== "turn.status" || e.status !== "queued") progress.abort();
      await waiting?.catch(() => {});
      if (args.json) o.out(`${JSON.stringify(e)}\n`);
      else render.event(e);
    }
  } finally {
    progress.abort();
    await waiting?.catch(() => {});
  }
  const turn = await client.turns.get(submitted.id, { signal: args.signal });
  if (args.json) o.out(`${JSON.stringify(turn)}\n`);
  else if (turn.status === "failed" && turn.error) o.err(`turn failed: ${turn.error.code}: ${turn.error.message ?? ""}\n`);
  return exitCodeOf(turn);
}

export function exitCodeOf(turn: Turn): number {
  if (turn.status === "completed") return exitCodes.ok;
  if (turn.status === "cancelled") return exitCodes.cancelled;
  return exitCodes.failed;
}

async function showQueuePosition(client: TurnqClient, o: Output, turnId: string, signal: AbortSignal): Promise<void> {
  let shown = "";
  // A turn that starts at once shows no progress line.
  await pause(300, signal);
  try {
    while (!signal.aborted) {
      const turn = await client.turns.get(turnId, { signal });
      if (turn.status !== "queued") break;
      const ahead = turn.queuePosition ?? 0;
      const text = ahead > 0 ? `queued: ${ahead} turn(s) ahead` : "queued: next, waiting for a free worker";
      if (text !== shown) o.err(o.tty ? `\r\x1b[K${text}` : `${text}\n`);
      shown = text;
      await pause(1_000, signal);
    }
  } finally {
    if (shown && o.tty) o.err("\r\x1b[K");
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
