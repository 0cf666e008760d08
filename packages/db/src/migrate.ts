import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { createDb } from "./client.ts";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** Creates the database named in `url` when it does not exist yet (a fresh machine has only `postgres`). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error("DATABASE_URL names no database; add one, e.g. …:5432/turnq");
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`).catch((e: { code?: string }) => {
        if (e.code !== "42P04") throw e; // created meanwhile by another process
      });
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Applies the committed migrations in order; safe to run from several processes at once. */
export async function runMigrations(url: string): Promise<void> {
  await ensureDatabase(url);
  const handle = createDb(url, { max: 1, applicationName: "turnq-migrate" });
  try {
    // drizzle's migrator is not safe under concurrency on its own; an advisory lock makes it so.
    await handle.sql`select pg_advisory_lock(7411001)`;
    await migrate(handle.db, { migrationsFolder });
  } finally {
    await handle.sql`select pg_advisory_unlock(7411001)`.catch(() => {});
    await handle.close();
  }
}
