import { loadConfigOrExit, parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";
import { runMigrations } from "./migrate.ts";

const env = loadConfigOrExit(() => parseEnv(z.object({ DATABASE_URL: sharedEnv.DATABASE_URL }), process.env));
const target = new URL(env.DATABASE_URL);
// Host, port and database only: the URL may carry a password.
const where = `${target.hostname}:${target.port || "5432"}/${target.pathname.slice(1)}`;
try {
  await runMigrations(env.DATABASE_URL);
} catch (err) {
  process.stderr.write(`Could not migrate Postgres at ${where}: ${(err as Error).message}\nCheck that Postgres is running and DATABASE_URL is right (see .env.example).\n`);
  process.exit(1);
}
console.log(`migrations applied to ${where}`);
