import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.ts";
import { instrumentSql } from "./tracing.ts";

export type Db = ReturnType<typeof drizzleFor>;

function drizzleFor(client: postgres.Sql) {
  return drizzle({ client, schema, casing: "snake_case" });
}

export interface DbHandle {
  db: Db;
  /** The raw postgres.js client, for the few statements drizzle does not express. */
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** Opens a pool. Nothing connects until the first query. */
export function createDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "turnq" },
  });
  // Repository queries (all through drizzle) get database spans; `sql` itself stays untraced.
  return { db: drizzleFor(instrumentSql(sql)), sql, close: () => sql.end({ timeout: 5 }) };
}
