import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { adminStatement, openOwnedDatabase, type OwnedDatabase } from "./databases.ts";
import { testDatabasePrefix } from "./services.ts";

export type TestDatabase = OwnedDatabase;

/** Databases this test file created, for the leak check (test/support/leak-check.ts). */
export const createdDatabases = new Set<string>();

/**
 * A fresh database cloned from the migrated template; one per test file. Postgres refuses to copy
 * a template while any session is connected to it (SQLSTATE 55006), and the template is shared by
 * every run on this machine: a moment's connection from elsewhere is waited out, up to a deadline.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${testDatabasePrefix(inject("testRunId"))}${randomBytes(4).toString("hex")}`;
  const template = inject("templateDatabase");
  createdDatabases.add(name);
  const deadline = Date.now() + 60_000;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      await adminStatement(`create database "${name}" template "${template}"`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== "55006" || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  return openOwnedDatabase(name, { max: 5, applicationName: "turnq-test" });
}
