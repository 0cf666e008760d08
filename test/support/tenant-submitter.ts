import { createHash, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { createDb, createSession, createTenant, submitTurn } from "@turnq/db";
import { createMailbox, createRedis, drainJob, keySpace, type DrainJobData } from "@turnq/queue";

/**
 * Submits turns as the API does (commit, then announce in the mailbox) but for any tenant: the API
 * acts for one tenant until API keys exist, and fair scheduling is decided by the mailbox. Turns'
 * timestamps are read back from Postgres (accepted = created_at, running = started_at).
 */
export function createTenantSubmitter(opts: { databaseUrl: string; redisUrl: string; prefix: string }) {
  const { db, sql, close: closeDb } = createDb(opts.databaseUrl, { max: 6 });
  const redis = createRedis(opts.redisUrl, "producer", () => {}, { autoPipelining: true });
  const bullRedis = createRedis(opts.redisUrl, "producer", () => {});
  const queue = new Queue<DrainJobData>(drainJob.queueName, { connection: bullRedis, prefix: opts.prefix });
  const mailbox = createMailbox({ redis, queues: [queue], space: keySpace(opts.prefix) });
  // Tenants are named by the caller ("tenant-a") and created on first use.
  const ids = new Map<string, Promise<string>>();
  const tenantId = (name: string): Promise<string> => {
    let id = ids.get(name);
    if (!id) ids.set(name, (id = createTenant(db, { name: `${name}-${randomUUID().slice(0, 8)}` }).then((t) => t.id)));
    return id;
  };
  return {
    tenantId,
    async session(tenant: string): Promise<string> {
      return (await createSession(db, { metadata: {}, tenantId: await tenantId(tenant) })).id;
    },
    async submit(tenant: string, sessionId: string, input: string, weight?: number): Promise<string> {
      const tenantId_ = await tenantId(tenant);
      const { turn } = await submitTurn(db, { sessionId, tenantId: tenantId_, input, requestHash: createHash("sha256").update(randomUUID()).digest("hex") });
      await mailbox.enqueue(sessionId, [turn.id], { tenantId: tenantId_, ...(weight ? { weight } : {}) });
      return turn.id;
    },
    async times(ids: string[]) {
      const rows = await sql<{ id: string; status: string; created_at: string; started_at: string | null; finished_at: string | null }[]>`
        select id, status, created_at::text, started_at::text, finished_at::text from turns where id = any(${ids})`;
      const ms = (t: string | null) => (t === null ? Number.NaN : new Date(t).getTime());
      return new Map(rows.map((r) => [r.id, { status: r.status, createdAt: ms(r.created_at), startedAt: ms(r.started_at), finishedAt: ms(r.finished_at) }]));
    },
    async unfinished(ids: string[]): Promise<number> {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from turns where id = any(${ids}) and status in ('queued', 'running')`;
      return row!.n;
    },
    async close() {
      await queue.close();
      await Promise.allSettled([redis.quit(), bullRedis.quit()]);
      await closeDb();
    },
  };
}
