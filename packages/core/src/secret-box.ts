import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * Secrets at rest (HTTP tool header values): AES-256-GCM under a key from the environment
 * (TURNQ_ENCRYPTION_KEY). Sealed text is `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url), so a value
 * names the key that sealed it: rotation adds a new key in front (it seals from then on) and keeps
 * the old ones listed for as long as anything sealed with them is stored.
 */
export interface SecretBox {
  /** Id of the key new values are sealed with. */
  activeKeyId: string;
  seal(plain: string): string;
  /** Throws when the value is not sealed text, names a key not configured, or was altered. */
  open(sealed: string): string;
}

/** Binds ciphertexts to their purpose: a sealed header value is no other kind of turnq secret. */
const aad = Buffer.from("turnq:secret:v1");

export function createSecretBox(keys: ReadonlyArray<{ id: string; key: Buffer }>): SecretBox {
  const first = keys[0];
  if (!first) throw new Error("createSecretBox needs at least one key");
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  return {
    activeKeyId: first.id,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", first.key, iv);
      cipher.setAAD(aad);
      const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", first.id, iv.toString("base64url"), data.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
    },
    open(sealed) {
      const [version, id, iv, data, tag] = sealed.split(".");
      if (version !== "v1" || !id || iv === undefined || data === undefined || tag === undefined) throw new Error("not a sealed secret");
      const key = byId.get(id);
      if (!key) throw new Error(`sealed with key "${id}", which TURNQ_ENCRYPTION_KEY does not list; add it back (see README, Tenants and keys)`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(aad);
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}

/**
 * TURNQ_ENCRYPTION_KEY: one or more `<id>:<32 bytes in base64>` separated by commas, the first
 * sealing new values (a lone base64 key gets the id `k1`). Errors name the entry, never the key.
 */
export const encryptionKeysEnv = z
  .string()
  .transform((raw, ctx) => {
    const keys: { id: string; key: Buffer }[] = [];
    const entries = raw.split(",").map((e) => e.trim());
    entries.forEach((entry, i) => {
      const m = /^(?:([A-Za-z0-9_-]{1,32}):)?([A-Za-z0-9+/=_-]+)$/.exec(entry);
      const key = m ? Buffer.from(m[2]!, "base64") : undefined;
      if (!m || key?.length !== 32) {
        ctx.addIssue({
          code: "custom",
          message: `TURNQ_ENCRYPTION_KEY entry ${i + 1} is not <id>:<32 bytes in base64>; make one with: echo "k1:$(openssl rand -base64 32)"`,
        });
        return;
      }
      const id = m[1] ?? "k1";
      if (keys.some((k) => k.id === id)) ctx.addIssue({ code: "custom", message: `TURNQ_ENCRYPTION_KEY lists the key id "${id}" twice` });
      keys.push({ id, key: key! });
    });
    return keys;
  });
