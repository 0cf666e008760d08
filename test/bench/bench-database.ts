import { randomBytes } from "node:crypto";
import { runMigrations } from "@turnq/db";
import { dropDatabase, openOwnedDatabase, type OwnedDatabase } from "../support/databases.ts";
import { databaseUrl } from "../support/services.ts";

export type BenchDatabase = OwnedDatabase;

/**
 * A fresh, migrated database for one scenario. The tests clone a template that vitest's global
 * setup provides; the bench runs without vitest, so it migrates its own (a second or so).
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `turnq_bench_${randomBytes(5).toString("hex")}`;
  try {
    await runMigrations(databaseUrl(name));
  } catch (err) {
    await dropDatabase(name);
    throw err;
  }
  return openOwnedDatabase(name, { max: 4, applicationName: "turnq-bench" });
}
