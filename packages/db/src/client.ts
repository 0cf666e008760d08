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
    // A query that needs a new connection first waits out this delay, which grows with the pool's
    // failed connects (postgres.js default: 3^n / 100 s, up to 20 s). After a Postgres restart that
    // held requests for up to 20 s and kept the pool away that long after the server was back. While
    // Postgres is down each failed connect answers one waiting query, so the cap also bounds how fast
    // a queue of requests gets its 503s: 250 ms (4 connects per pooled connection per second; cheap
    // for a server that is down or starting, and it is back in use within 250 ms).
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.02 * 2 ** retries, 0.25),
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "turnq" },
  });
  // Repository queries (all through drizzle) get database spans; `sql` itself stays untraced.
  return { db: drizzleFor(instrumentSql(sql)), sql, close: () => sql.end({ timeout: 5 }) };
}
