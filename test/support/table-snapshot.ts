import type { TestDatabase } from "./test-database.ts";

/**
 * A fingerprint of every row of every table of the public schema (row count and an md5 over the
 * rows' text): equal before and after a request means the request changed nothing.
 */
export async function tableSnapshot(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.sql<{ name: string }[]>`
    select tablename as name from pg_tables where schemaname = 'public' order by 1`;
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.sql.unsafe<{ n: string; h: string | null }[]>(
      `select count(*)::text n, md5(string_agg(t::text, '|' order by t::text)) h from "${name}" t`,
    );
    out[name] = `${row!.n}:${row!.h ?? ""}`;
  }
  return out;
}
