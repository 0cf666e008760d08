/**
 * The `reference` part's worker: the plainest way to run an agent turn on BullMQ, as the yardstick
 * of issue #8. One job per turn (data: session id + input), no ordering, no turn rows, no tracing:
 * read the session's last 40 messages, call the LLM (streamed, as turnq's worker does), append the
 * user and assistant messages in one transaction. Started by reference-system.ts as its own node
 * process; configured by REF_* variables; prints "reference worker ready" once it takes jobs.
 */
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import postgres from "postgres";
import { Pool } from "undici";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const concurrency = Number(env("REF_CONCURRENCY"));
const history = Number(process.env.REF_HISTORY ?? "40");
const llm = new URL(env("REF_LLM_URL")); // e.g. http://127.0.0.1:43123/v1
const completionsPath = `${llm.pathname.replace(/\/+$/, "")}/chat/completions`;

// 20 Postgres connections: the reference's best here (949-990 turns/s, against 891-893 with turnq's
// default of 5, whose transactions each hold a connection); one LLM connection per slot.
const sql = postgres(env("REF_DATABASE_URL"), { max: 20, onnotice: () => {}, connection: { application_name: "turnq-bench-reference" } });
const http = new Pool(llm.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const redis = new Redis(env("REF_REDIS_URL"), { maxRetriesPerRequest: null });
redis.on("error", (err) => process.stderr.write(`reference worker redis: ${err.message}\n`));

interface JobData {
  sessionId: string;
  input: string;
}

async function complete(messages: { role: string; content: string }[]): Promise<string> {
  const res = await http.request({
    method: "POST",
    path: completionsPath,
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ model: "turnq-sim", messages, stream: true, stream_options: { include_usage: true } }),
  });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`LLM answered ${res.statusCode}: ${body.slice(0, 200)}`);
  let text = "";
  for (const line of body.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string | null } }[] };
    text += chunk.choices?.[0]?.delta?.content ?? "";
  }
  return text;
}

const worker = new Worker<JobData>(
  env("REF_QUEUE"),
  async (job) => {
    const { sessionId, input } = job.data;
    const rows = await sql<{ role: string; text: string }[]>`
      select role, content->>'text' as text from messages where session_id = ${sessionId} order by seq desc limit ${history}`;
    const messages = [
      { role: "system", content: "You are a helpful assistant." },
      ...rows.reverse().map((r) => ({ role: r.role, content: r.text })),
      { role: "user", content: input },
    ];
    const output = await complete(messages);
    // The session row lock (taken by the update) keeps seq gapless under the append-only trigger.
    // Messages need a turn (foreign key): each session has one placeholder turn, made by the bench.
    return sql.begin(async (tx) => {
      const [row] = await tx<{ last_seq: string }[]>`update sessions set last_seq = last_seq + 2 where id = ${sessionId} returning last_seq`;
      const seq = Number(row!.last_seq);
      const turnId = `turn_ref_${sessionId}`;
      await tx`insert into messages (session_id, seq, turn_id, role, content) values
        (${sessionId}, ${seq - 1}, ${turnId}, 'user', ${tx.json({ text: input })}),
        (${sessionId}, ${seq}, ${turnId}, 'assistant', ${tx.json({ text: output })})`;
      return seq;
    });
  },
  // Lock settings as turnq's worker has them by default.
  { connection: redis, prefix: env("REF_PREFIX"), concurrency, lockDuration: 10_000, stalledInterval: 5_000 },
);
worker.on("error", (err) => process.stderr.write(`reference worker: ${err.message}\n`));
worker.on("failed", (job, err) => process.stderr.write(`reference job ${job?.id} failed: ${err.message}\n`));

process.once("SIGTERM", () => {
  void (async () => {
    await worker.close();
    await Promise.all([sql.end({ timeout: 5 }), http.close(), redis.quit()]);
  })().then(
    () => (process.exitCode = 0),
    (err: Error) => {
      process.stderr.write(`reference worker: shutdown failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
});

await worker.waitUntilReady();
process.stdout.write(`${JSON.stringify({ msg: "reference worker ready", pid: process.pid, concurrency })}\n`);
