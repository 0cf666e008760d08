import { z } from "zod";
import type { SimulatorOptions } from "./types.ts";

const millis = (name: string) =>
  z.string().regex(/^\d+$/, `${name} must be a whole number of milliseconds`).transform(Number);

/** The simulator's configuration (SIM_*), exported so tooling can list the variables it reads. */
export const simulatorEnvSchema = z.object({
  SIM_HOST: z.string().min(1, "SIM_HOST must not be empty").default("127.0.0.1"),
  SIM_PORT: z
    .string()
    .regex(/^\d+$/, "SIM_PORT must be a port number")
    .transform(Number)
    .pipe(z.number().max(65_535, "SIM_PORT must be at most 65535"))
    .default(8787),
  SIM_LATENCY_MS: millis("SIM_LATENCY_MS").default(0),
  SIM_FIRST_TOKEN_MS: millis("SIM_FIRST_TOKEN_MS").optional(),
  SIM_API_KEY: z.string().min(1, "SIM_API_KEY must not be empty when set").optional(),
});

export type EnvResult = { ok: true; options: SimulatorOptions } | { ok: false; message: string };

/** Maps SIM_* variables to options; the error names every variable that needs fixing. */
export function optionsFromEnv(env: Record<string, string | undefined>): EnvResult {
  const result = simulatorEnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    return { ok: false, message: `Invalid simulator configuration; fix these environment variables:\n${lines.join("\n")}` };
  }
  const e = result.data;
  return {
    ok: true,
    options: {
      host: e.SIM_HOST,
      port: e.SIM_PORT,
      latencyMs: e.SIM_LATENCY_MS,
      firstTokenMs: e.SIM_FIRST_TOKEN_MS,
      apiKey: e.SIM_API_KEY,
    },
  };
}
