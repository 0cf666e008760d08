/** Where the tests find Postgres and Redis; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export function adminDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** The name prefix of every test database of one `vitest run`, so that its teardown finds what is left. */
export function testDatabasePrefix(runId: string): string {
  return `turnq_t_${runId}_`;
}
