import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrationsFolder, runMigrations } from "../../packages/db/src/migrate.ts";
import { adminDatabaseUrl, databaseUrl, testDatabasePrefix } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    /** Names this run's test databases (test-database.ts), so that none outlives the run. */
    testRunId: string;
  }
}

/**
 * Migrates one template database per migration set; every test file clones it (CREATE DATABASE …
 * TEMPLATE), which takes milliseconds and isolates files from each other without global wipes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const hash = createHash("sha256");
  for (const f of readdirSync(migrationsFolder).filter((f) => f.endsWith(".sql")).sort()) {
    hash.update(readFileSync(join(migrationsFolder, f)));
  }
  const name = `turnq_tpl_${hash.digest("hex").slice(0, 12)}`;
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name} and datistemplate`;
    if (!exists) {
      await admin.unsafe(`drop database if exists "${name}"`);
      await runMigrations(databaseUrl(name));
      await admin.unsafe(`alter database "${name}" is_template true`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
  const runId = randomBytes(3).toString("hex");
  project.provide("templateDatabase", name);
  project.provide("testRunId", runId);
  return () => dropLeftoverDatabases(testDatabasePrefix(runId));
}

/**
 * Every test file drops its databases, and its leak check fails it if it did not; a file whose
 * process died cannot. Whatever this run left is dropped here, and the run fails naming it.
 */
async function dropLeftoverDatabases(prefix: string): Promise<void> {
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    const left = await admin<{ datname: string }[]>`
      select datname from pg_database where starts_with(datname, ${prefix})`;
    for (const { datname } of left) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    if (left.length) throw new Error(`test databases left behind by this run (now dropped): ${left.map((d) => d.datname).join(", ")}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
