import { z } from "zod";

export const health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

export const readiness = z
  .object({
    status: z.literal("ready"),
    checks: z.record(z.string(), z.string()).meta({ description: "Each dependency (postgres, redis) and `ok`." }),
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
