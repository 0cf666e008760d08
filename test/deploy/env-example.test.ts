import { describe, expect, it } from "vitest";
import { envExampleNames, envNamesReadByCode } from "./support/env-names.ts";

describe(".env.example", () => {
  it("lists every environment variable the code reads", () => {
    const listed = envExampleNames();
    const missing = [...envNamesReadByCode()].filter(([name]) => !listed.has(name)).map(([name, by]) => `${name} (read by ${by})`);
    expect(missing, "add these to .env.example, with their default and what they do").toEqual([]);
  });

  it("lists nothing the code does not read", () => {
    const read = envNamesReadByCode();
    // OTEL_* names the OpenTelemetry SDK itself reads (sampler, exporters' settings) are documented too.
    const unknown = [...envExampleNames()].filter((name) => !read.has(name) && !name.startsWith("OTEL_"));
    expect(unknown, "remove these from .env.example, or read them").toEqual([]);
  });

  it("finds the variables of the env schemas and of the packages that read env directly", () => {
    // Guards the collector itself: a name from each source must be found.
    const read = envNamesReadByCode();
    for (const name of ["DATABASE_URL", "PORT", "WORKER_CONCURRENCY", "SIM_LATENCY_MS", "OTEL_SDK_DISABLED", "TURNQ_VERSION", "WORKERS"]) {
      expect(read.has(name), name).toBe(true);
    }
  });
});
