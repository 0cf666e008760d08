import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { apiKeyPattern, hashApiKey } from "@turnq/core";
import { createApiKey, createDb, createTenant, findActiveApiKey, getTenantByName } from "@turnq/db";

/** The tenant `npm run dev` creates for the person running it. */
export const devTenantName = "dev";

/**
 * The dev tenant's API key, kept in a gitignored file (`.turnq/dev-key`) so restarts reuse it and
 * another terminal can read it (`KEY=$(cat .turnq/dev-key)`). A missing file, or a key the database
 * no longer knows (a fresh database, a revoked key), gets a new key. Auth stays on in dev too: this
 * only spares the developer the admin commands.
 */
export async function ensureDevKey(databaseUrl: string, file: string): Promise<{ key: string; created: boolean }> {
  const { db, close } = createDb(databaseUrl, { max: 1, applicationName: "turnq-dev" });
  try {
    const saved = readSaved(file);
    if (saved && (await findActiveApiKey(db, hashApiKey(saved)))) return { key: saved, created: false };
    const tenant = (await getTenantByName(db, devTenantName)) ?? (await createTenant(db, { name: devTenantName }));
    const { key } = await createApiKey(db, tenant.id);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { key, created: true };
  } finally {
    await close();
  }
}

function readSaved(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return apiKeyPattern.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
