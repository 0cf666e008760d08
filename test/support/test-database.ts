import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { adminStatement, openOwnedDatabase, type OwnedDatabase } from "./databases.ts";
import { testDatabasePrefix } from "./services.ts";

export type TestDatabase = OwnedDatabase;

/** Databases this test file created, for the leak check (test/support/leak-check.ts). */
export const createdDatabases = new Set<string>();

/** A fresh database cloned from the migrated template; one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${testDatabasePrefix(inject("testRunId"))}${randomBytes(4).toString("hex")}`;
  createdDatabases.add(name);
  await adminStatement(`create database "${name}" template "${inject("templateDatabase")}"`);
  return openOwnedDatabase(name, { max: 5, applicationName: "turnq-test" });
}
