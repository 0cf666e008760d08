import { performance } from "node:perf_hooks";
import { opensNewSession } from "./bench-env.ts";
import type { ReferenceSystem } from "./reference-system.ts";

export interface ReferenceLoop {
  /** Every completed job, with its input: unique per job, so the simulator's record of its call can be found (llm-times.ts). */
  samples: { input: string; sentAt: number; doneAt: number }[];
  errors: string[];
  /** Sessions the clients opened during the loop (beside the ones they started with). */
  sessionsOpened: number;
}

/**
 * The reference's closed loop, shared by its parts: one client per session in `sessions`, each
 * adding a job and waiting for it until `until` (performance.now()), and opening a new session
 * every `sessionTurns` jobs as hotpath's clients do (its rows inside the loop too).
 */
export async function runReferenceLoop(
  ref: ReferenceSystem,
  opts: { sessions: string[]; sessionTurns: number; until: number; tag: string },
): Promise<ReferenceLoop> {
  const { tag } = opts;
  const loop: ReferenceLoop = { samples: [], errors: [], sessionsOpened: 0 };
  await Promise.all(
    opts.sessions.map(async (first, c) => {
      let sessionId = first;
      for (let n = 0; performance.now() < opts.until; n++) {
        try {
          if (opensNewSession(n, opts.sessionTurns)) {
            sessionId = (await ref.createSessions(1, `${tag}c${c}n${n}`))[0]!;
            loop.sessionsOpened++;
          }
          const input = `ref ${tag} client ${c} turn ${n}`;
          const sentAt = performance.now();
          await ref.runJob(`loop-${tag}-${c}-${n}`, sessionId, input);
          loop.samples.push({ input, sentAt, doneAt: performance.now() });
        } catch (err) {
          loop.errors.push((err as Error).message);
          await new Promise((r) => setTimeout(r, 100)); // a broken system must not become a busy loop
        }
      }
    }),
  );
  return loop;
}
