import { apiKeyPrefixPattern, TurnqError } from "@turnq/core";
import { createApiKey, createTenant, getTenantByName, listApiKeys, listTenants, revokeApiKey, type Db } from "@turnq/db";

export interface CommandDeps {
  db: Db;
  /** Tells running API processes that a key is revoked (Redis pub/sub). */
  publishRevoked(keyId: string): Promise<unknown>;
  /** What the user reads: results go to `out` (one per line, easy to capture), notes to `err`. */
  out(line: string): void;
  err(line: string): void;
}

export const usage = `Usage: npm run turnq -- <command>
  tenants create <name> [--weight <n>]   create a tenant
  tenants list                           list tenants
  keys create --tenant <name>            create an API key for the tenant; prints it once
  keys list --tenant <name>              list the tenant's keys (prefixes only)
  keys revoke <prefix>                   revoke a key (tq_live_xxxxxxxx); every API refuses it within a second
Reads DATABASE_URL, REDIS_URL and TURNQ_PREFIX from the environment or .env.`;

/** Runs one admin command; throws a TurnqError (or Usage) whose message says what to do. */
export async function runCommand(argv: string[], deps: CommandDeps): Promise<void> {
  const [noun, verb, ...rest] = argv;
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const tenantNamed = async (name: string | undefined) => {
    if (!name) throw new Usage("Name the tenant: --tenant <name>.");
    const tenant = await getTenantByName(deps.db, name);
    if (!tenant) throw new TurnqError("not_found", `Tenant ${name} does not exist; create it with: npm run turnq -- tenants create ${name}`);
    return tenant;
  };
  const key = `${noun ?? ""} ${verb ?? ""}`;
  switch (key) {
    case "tenants create": {
      const name = rest[0];
      if (!name || name.startsWith("--")) throw new Usage("Name the tenant: tenants create <name>.");
      const weight = flag("weight");
      if (weight !== undefined && !/^[1-9]\d{0,3}$/.test(weight)) throw new Usage("--weight must be a whole number from 1 to 9999.");
      const tenant = await createTenant(deps.db, { name, weight: weight === undefined ? undefined : Number(weight) });
      deps.out(`${tenant.id}\t${tenant.name}\tweight ${tenant.weight}`);
      return;
    }
    case "tenants list":
      for (const t of await listTenants(deps.db)) deps.out(`${t.id}\t${t.name}\tweight ${t.weight}\t${t.createdAt.toISOString()}`);
      return;
    case "keys create": {
      const tenant = await tenantNamed(flag("tenant"));
      const created = await createApiKey(deps.db, tenant.id);
      deps.err(`API key ${created.prefix}… for tenant ${tenant.name}; it is shown this once, store it now:`);
      deps.out(created.key);
      return;
    }
    case "keys list": {
      const tenant = await tenantNamed(flag("tenant"));
      for (const k of await listApiKeys(deps.db, tenant.id)) {
        deps.out(`${k.prefix}\t${k.id}\tcreated ${k.createdAt.toISOString()}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active"}`);
      }
      return;
    }
    case "keys revoke": {
      const prefix = rest[0];
      if (!prefix || !apiKeyPrefixPattern.test(prefix)) throw new Usage("Give the key's prefix as keys list shows it: keys revoke tq_live_xxxxxxxx.");
      const revoked = await revokeApiKey(deps.db, prefix);
      if (!revoked) throw new TurnqError("not_found", `No key has the prefix ${prefix}; see: npm run turnq -- keys list --tenant <name>`);
      await deps.publishRevoked(revoked.id).catch((e: Error) =>
        deps.err(`Revoked in Postgres; Redis did not take the notice (${e.message}): API processes refuse the key at their next re-check.`),
      );
      deps.out(`${revoked.prefix}\trevoked ${revoked.revokedAt?.toISOString()}`);
      return;
    }
    default:
      throw new Usage(noun ? `Unknown command: ${argv.join(" ")}` : "No command given.");
  }
}

/** A command line that cannot be run as written. */
export class Usage extends Error {
  override name = "Usage";
}
