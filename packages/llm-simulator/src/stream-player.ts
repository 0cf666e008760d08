import type { ServerResponse } from "node:http";
import type { Timeline } from "./timeline.ts";

export interface StreamPlan {
  beats: string[][];
  firstMs: number;
  endMs: number;
  /** Stop writing (but keep the response open) after this many frames. */
  stallAfterFrames: number | undefined;
}

/** Evenly spaced beat times: the first at `firstMs`, the last at `endMs`. */
export function beatTimes(count: number, firstMs: number, endMs: number): number[] {
  const end = Math.max(firstMs, endMs);
  if (count <= 1) return [end];
  return Array.from({ length: count }, (_, i) => firstMs + ((end - firstMs) * i) / (count - 1));
}

/**
 * Writes the beats of an SSE response on schedule. Beats that fall due together are coalesced
 * into one write, so tiny latencies with huge outputs cost a few writes, not thousands of timers.
 */
export function playStream(res: ServerResponse, timeline: Timeline, plan: StreamPlan): void {
  const times = beatTimes(plan.beats.length, plan.firstMs, plan.endMs);
  let beat = 0;
  let framesSent = 0;
  const step = (): void => {
    // Loops rather than re-arming a zero-delay schedule, so a slow write never recurses.
    for (;;) {
      let out = "";
      const elapsed = timeline.elapsed();
      while (beat < plan.beats.length && (times[beat] ?? 0) <= elapsed) {
        for (const frame of plan.beats[beat] ?? []) {
          if (plan.stallAfterFrames !== undefined && framesSent >= plan.stallAfterFrames) {
            // Stalled: flush what is due and leave the response open until the client gives up.
            if (out !== "") res.write(out);
            return;
          }
          out += frame;
          framesSent++;
        }
        beat++;
      }
      if (out !== "") res.write(out);
      if (beat >= plan.beats.length) {
        res.end();
        return;
      }
      const next = times[beat] ?? 0;
      if (next > timeline.elapsed()) {
        timeline.at(next, step);
        return;
      }
    }
  };
  timeline.at(times[0] ?? 0, step);
}
