import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { migrationsFolder } from "../src/index.ts";
import { adminStatement, openOwnedDatabase, type OwnedDatabase } from "../../../test/support/databases.ts";
import { testDatabasePrefix } from "../../../test/support/services.ts";
import { inject } from "vitest";

/** The migrations up to and including `lastTag`, as drizzle's migrator reads them. */
function migrationsUpTo(lastTag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "turnq-migrations-"));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe("migration 0007 on a database from before tenants", () => {
  let owned: OwnedDatabase | undefined;
  const dirs: string[] = [];
  afterAll(async () => {
    await owned?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("moves existing sessions, turns and agents to a tenant named default", async () => {
    const name = `${testDatabasePrefix(inject("testRunId"))}${randomBytes(4).toString("hex")}`;
    await adminStatement(`create database "${name}"`);
    owned = openOwnedDatabase(name, { max: 1, applicationName: "turnq-test" });
    const before = migrationsUpTo("0006_turn_crashes");
    dirs.push(before);
    await migrate(owned.db, { migrationsFolder: before });
    const { sql } = owned;
    await sql`insert into sessions (id, metadata) values ('ses_legacy', '{}')`;
    await sql`insert into turns (id, session_id, position, input, request_hash) values ('turn_legacy', 'ses_legacy', 1, 'hi', 'h')`;
    await sql`insert into agents (id, version, name, config) values ('agt_legacy', 1, 'a', '{}')`;

    await migrate(owned.db, { migrationsFolder });

    const [tenant] = await sql`select id, name, weight from tenants`;
    expect(tenant).toEqual({ id: "ten_00000000000000000000000000", name: "default", weight: 1 });
    expect(await sql`select tenant_id from sessions`).toEqual([{ tenant_id: tenant!.id }]);
    expect(await sql`select tenant_id, api_key_id from turns`).toEqual([{ tenant_id: tenant!.id, api_key_id: null }]);
    expect(await sql`select tenant_id from agents`).toEqual([{ tenant_id: tenant!.id }]);
  });
});
