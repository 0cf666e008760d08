import postgres from "postgres";
import { dropDatabase } from "./databases.ts";
import { openConnectionsTo, runningChildren, type ProcessInfo } from "./process-table.ts";
import { adminDatabaseUrl, redisUrl } from "./services.ts";
import { createdDatabases } from "./test-database.ts";

interface Leftovers {
  processes: ProcessInfo[];
  connections: { remotePort: number; state: string }[];
  databases: string[];
}

/**
 * Fails a test file that leaves anything behind: a child process (worker, redis-server, …), an
 * open connection of this process to Postgres or Redis, or a database it created. What closes
 * asynchronously gets a few seconds; then leftover processes are killed and databases dropped, so
 * that one leaking file does not load the machine for the next, and the file fails naming them.
 */
export async function checkNoLeftovers(settleMs = 10_000): Promise<void> {
  const deadline = Date.now() + settleMs;
  let left = await leftovers();
  while (!isEmpty(left) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = await leftovers();
  }
  const names = [...createdDatabases];
  createdDatabases.clear();
  if (isEmpty(left)) return;
  for (const p of left.processes) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  for (const name of left.databases) await dropDatabase(name).catch(() => {});
  const lines = [
    ...left.processes.map((p) => `process ${p.pid} still running (now killed): ${p.command.slice(0, 200)}`),
    ...left.connections.map((c) => `connection to port ${c.remotePort} still open (${c.state})`),
    ...left.databases.map((d) => `database ${d} not dropped (now dropped)`),
  ];
  throw new Error(`This test file left things behind (created ${names.length} database(s)):\n  ${lines.join("\n  ")}`);
}

async function leftovers(): Promise<Leftovers> {
  const ports = [portOf(adminDatabaseUrl(), 5432), portOf(redisUrl(), 6379)];
  return {
    processes: runningChildren(process.pid),
    connections: openConnectionsTo(ports),
    databases: await existingDatabases([...createdDatabases]),
  };
}

async function existingDatabases(names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<{ datname: string }[]>`select datname from pg_database where datname = any(${names})`;
    return rows.map((r) => r.datname);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

const isEmpty = (l: Leftovers) => l.processes.length + l.connections.length + l.databases.length === 0;

function portOf(url: string, fallback: number): number {
  return Number(new URL(url).port || fallback);
}
