import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runMigrations } from "@turnq/db";
import { freePort } from "../support/free-port.ts";

const run = promisify(execFile);
/** The server binaries of the machine's Postgres 15 (Debian layout); PG_BIN overrides. */
const bin = (name: string) => join(process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin", name);

/** A Postgres cluster of the chaos run's own: stopped like a crash (`-m immediate`) and started again. */
export interface ChaosPostgres {
  /** The migrated database turnq uses. */
  url: string;
  /** `pg_ctl stop -m immediate`: every backend is killed, no checkpoint; the next start recovers from WAL. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
  /** The server's log, for a failure message. */
  log(): string;
}

/**
 * initdb into a temporary directory, start on a free loopback port, create and migrate `turnq`.
 * The server refuses to run as root: as root, its commands run as the `postgres` user.
 * fsync is off: an immediate stop kills the server processes, not the machine, so every write the
 * kernel accepted survives it anyway, and the busy test machine is spared the flushes.
 */
export async function startChaosPostgres(): Promise<ChaosPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "turnq-chaos-pg-"));
  const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const pg = (name: string, args: string[]) =>
    owner ? run("runuser", ["-u", "postgres", "--", bin(name), ...args]) : run(bin(name), args);
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const destroy = async () => {
    await pg("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pg("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
    const start = () => pg("pg_ctl", ["start", "-D", data, "-l", logFile, "-o", options, "-w", "-t", "60"]).then(() => {});
    await start();
    const url = `postgres://postgres@127.0.0.1:${port}/turnq`;
    await runMigrations(url); // creates the database too
    return {
      url,
      crash: () => pg("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]).then(() => {}),
      start,
      destroy,
      log: () => {
        try {
          return readFileSync(logFile, "utf8");
        } catch {
          return "";
        }
      },
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
