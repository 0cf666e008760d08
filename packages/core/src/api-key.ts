import { createHash, randomBytes } from "node:crypto";

/**
 * API keys: `tq_live_` then 40 base62 characters (about 238 random bits). The first 8 of them, with
 * the `tq_live_` tag, are the key's visible prefix: stored in the clear, shown in listings and used
 * to revoke it. The rest never leaves the client after creation: only the SHA-256 of the whole key
 * is stored, which is enough for a key this random (nothing to guess, so no slow hash is needed), and
 * lets a request find its key by an indexed equality lookup.
 */
const tag = "tq_live_";
const randomChars = 40;
const prefixChars = 8;
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const apiKeyPattern = new RegExp(`^${tag}[0-9A-Za-z]{${randomChars}}$`);
export const apiKeyPrefixPattern = new RegExp(`^${tag}[0-9A-Za-z]{${prefixChars}}$`);

export interface NewApiKey {
  /** The key itself: shown once, never stored. */
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): NewApiKey {
  let out = "";
  // Rejection sampling keeps every character uniform (248 = 4 × 62).
  while (out.length < randomChars) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < randomChars) out += base62[byte % 62];
    }
  }
  const key = tag + out;
  return { key, prefix: apiKeyPrefix(key), hash: hashApiKey(key) };
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, tag.length + prefixChars);
}

/** Hex SHA-256 of the key: what the database stores and looks keys up by. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The key of an `Authorization: Bearer <key>` header, or undefined when it is not one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m?.[1];
}
