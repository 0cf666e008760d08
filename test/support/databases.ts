import { createDb, type DbHandle } from "@turnq/db";
import postgres from "postgres";
import { adminDatabaseUrl, databaseUrl } from "./services.ts";

export interface OwnedDatabase extends DbHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Runs one statement against the maintenance database (create, drop). */
export async function adminStatement(statement: string): Promise<void> {
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export function dropDatabase(name: string): Promise<void> {
  return adminStatement(`drop database if exists "${name}" with (force)`);
}

/** A pool on an existing database that the caller owns and drops when done. */
export function openOwnedDatabase(name: string, opts: { max: number; applicationName: string }): OwnedDatabase {
  const url = databaseUrl(name);
  const handle = createDb(url, opts);
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
