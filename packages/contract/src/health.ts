import { z } from "zod";

export const health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

export const readiness = z
  .object({
    status: z.literal("ready"),
    checks: z.record(z.string(), z.string()).meta({ description: "Each dependency (postgres, redis) and `ok`." }),
    queue: z
      .object({
        waitingSessions: z.number().int(),
        bound: z.number().int(),
        full: z.boolean().meta({ description: "Submits are refused with 503 queue_full meanwhile; reads go on." }),
      })
      .meta({ description: "Sessions waiting for a worker, fleet-wide, and the bound beyond which submits are refused (QUEUE_MAX_WAITING_SESSIONS)." }),
    workers: z
      .object({
        alive: z.number().int(),
        llmBreakerOpen: z.number().int(),
        llmConnectionsWarm: z.number().int(),
        turnsInFlight: z.number().int(),
      })
      .meta({ description: "Workers that reported in recently; reported, not required." }),
  })
  .meta({ id: "Readiness" });

export type Readiness = z.infer<typeof readiness>;
