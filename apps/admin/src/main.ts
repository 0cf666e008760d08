import { isTurnqError, loadConfigOrExit } from "@turnq/core";
import { createDb } from "@turnq/db";
import { createRedis, publishApiKeyRevoked, whenReady } from "@turnq/queue";
import { runCommand, Usage, usage } from "./commands.ts";
import { loadAdminEnv } from "./env.ts";

// The admin CLI's composition root (`npm run turnq -- …`): tenants and API keys, straight in
// Postgres; revocations are also announced on Redis so running APIs drop the key within a second.
const argv = process.argv.slice(2);
if (argv.length === 0 || argv[0] === "--help" || argv[0] === "help") {
  console.log(usage);
  process.exit(argv.length === 0 ? 1 : 0);
}
const env = loadConfigOrExit(() => loadAdminEnv());
const { db, close } = createDb(env.DATABASE_URL, { max: 1, applicationName: "turnq-admin" });
let redis: ReturnType<typeof createRedis> | undefined;
let code = 0;
try {
  await runCommand(argv, {
    db,
    publishRevoked: async (keyId) => {
      redis = createRedis(env.REDIS_URL, "producer", () => {});
      const ready = await Promise.race([whenReady(redis).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5_000).unref())]);
      if (!ready) throw new Error(`no answer from Redis at ${new URL(env.REDIS_URL).host} within 5 s`);
      return publishApiKeyRevoked(redis, env.TURNQ_PREFIX, keyId);
    },
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
} catch (err) {
  code = 1;
  if (err instanceof Usage) console.error(`${err.message}\n\n${usage}`);
  else if (isTurnqError(err)) console.error(err.message);
  else console.error(`Failed: ${(err as Error).message}. Check that Postgres and Redis are running and DATABASE_URL / REDIS_URL are right (see .env.example).`);
} finally {
  redis?.disconnect();
  await close();
}
process.exit(code);
