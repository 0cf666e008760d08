import { randomBytes } from "node:crypto";
import { createDb, runMigrations, type DbHandle } from "@turnq/db";
import postgres from "postgres";
import { adminDatabaseUrl, databaseUrl } from "../support/services.ts";

export interface BenchDatabase extends DbHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one scenario. The tests clone a template that vitest's global
 * setup provides; the bench runs without vitest, so it migrates its own (a second or so).
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `turnq_bench_${randomBytes(5).toString("hex")}`;
  const url = databaseUrl(name);
  try {
    await runMigrations(url);
  } catch (err) {
    await dropDatabase(name);
    throw err;
  }
  const handle = createDb(url, { max: 4, applicationName: "turnq-bench" });
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      await dropDatabase(name);
    },
  };
}

async function dropDatabase(name: string): Promise<void> {
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
