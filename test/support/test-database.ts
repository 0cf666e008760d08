import { randomBytes } from "node:crypto";
import { createDb, type DbHandle } from "@turnq/db";
import postgres from "postgres";
import { inject } from "vitest";
import { adminDatabaseUrl, databaseUrl } from "./services.ts";

export interface TestDatabase extends DbHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template; one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `turnq_t_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${inject("templateDatabase")}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = databaseUrl(name);
  const handle = createDb(url, { max: 5, applicationName: "turnq-test" });
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      const a = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}
