import { parseEnv, sharedEnv } from "@turnq/core";
import { z } from "zod";
import { runMigrations } from "./migrate.ts";

const env = parseEnv(z.object({ DATABASE_URL: sharedEnv.DATABASE_URL }), process.env);
await runMigrations(env.DATABASE_URL);
console.log(`migrations applied to ${new URL(env.DATABASE_URL).pathname.slice(1)}`);
