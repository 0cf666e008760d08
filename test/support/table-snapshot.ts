import type { TestDatabase } from "./test-database.ts";

/**
 * A fingerprint of every row of every table of the public schema (row count and an md5 over the
 * rows' text), read in one statement: equal before and after a request means it changed nothing.
 */
export async function tableSnapshot(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' order by 1`;
  const columns = tables.map(
    ({ name }) => `(select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from "${name}" t) as "${name}"`,
  );
  const [row] = await db.sql.unsafe<Record<string, string>[]>(`select ${columns.join(", ")}`);
  return { ...row! };
}
