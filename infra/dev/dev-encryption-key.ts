import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * TURNQ_ENCRYPTION_KEY for `npm run dev` when the environment sets none: generated once and kept in a
 * gitignored file beside the dev API key, so agents stored in one run still open in the next.
 * Production sets the variable itself (README, Tenants and keys).
 */
export function devEncryptionKey(file: string): string {
  try {
    const saved = readFileSync(file, "utf8").trim();
    if (saved) return saved;
  } catch {
    // first start: create it below
  }
  const key = `dev:${randomBytes(32).toString("base64")}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
