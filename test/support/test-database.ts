import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { adminStatement, openOwnedDatabase, type OwnedDatabase } from "./databases.ts";

export type TestDatabase = OwnedDatabase;

/** A fresh database cloned from the migrated template; one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `turnq_t_${randomBytes(5).toString("hex")}`;
  await adminStatement(`create database "${name}" template "${inject("templateDatabase")}"`);
  return openOwnedDatabase(name, { max: 5, applicationName: "turnq-test" });
}
