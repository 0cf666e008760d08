import type { TurnqEvent } from "../event-stream.ts";

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are rewritten in place there). */
  tty: boolean;
}

/**
 * Writes a turn's events for a person: the reply's text as it streams (stdout), tool calls as they
 * start and finish (stderr). When deltas were missed (a resumed stream past its expiry) the logged
 * message fills in the rest, so the printed reply is always whole.
 */
export function createRenderer(o: Output, opts: { showTurnIds?: boolean } = {}) {
  let streamed = "";
  let midLine = false;
  const line = (text: string) => {
    if (midLine) o.out("\n");
    midLine = false;
    o.err(`${text}\n`);
  };
  const say = (text: string) => {
    if (!text) return;
    o.out(text);
    streamed += text;
    midLine = !text.endsWith("\n");
  };
  const tag = (e: { turnId?: string }) => (opts.showTurnIds && e.turnId ? `[${e.turnId}] ` : "");
  return {
    event(e: TurnqEvent): void {
      switch (e.type) {
        case "message.delta":
          say(e.text);
          return;
        case "message": {
          const text = e.content.text ?? "";
          if (e.role === "assistant" && text) {
            say(text.startsWith(streamed) ? text.slice(streamed.length) : `\n${text}`);
            if (midLine) o.out("\n");
            midLine = false;
            streamed = "";
          } else if (e.role === "user" && opts.showTurnIds) line(`${tag(e)}> ${text}`);
          return;
        }
        case "tool.started":
          line(`${tag(e)}⚙ ${e.name} started`);
          return;
        case "tool.finished":
          line(`${tag(e)}${e.ok ? "✓" : "✗"} ${e.name} ${e.ok ? "finished" : "failed"} in ${Math.round(e.durationMs)} ms`);
          return;
        case "turn.status":
          if (opts.showTurnIds || e.status === "failed" || e.status === "cancelled") {
            line(`${tag(e)}${e.status}${e.error ? `: ${e.error.code}: ${e.error.message ?? ""}` : ""}`);
          }
          return;
        case "gap":
          line(`(live events after log seq ${e.afterSeq} expired; the log's messages follow)`);
          return;
      }
    },
  };
}
