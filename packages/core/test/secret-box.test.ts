import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox, encryptionKeysEnv } from "../src/index.ts";

const key = () => randomBytes(32).toString("base64");

describe("the secret box", () => {
  it("seals so that only a box with the same key opens, and a changed byte is refused", () => {
    const [k] = encryptionKeysEnv.parse(`k1:${key()}`);
    const box = createSecretBox([k!]);
    const sealed = box.seal("Bearer tok_secret");
    expect(sealed).not.toContain("tok_secret");
    expect(sealed.startsWith("v1.k1.")).toBe(true);
    expect(box.open(sealed)).toBe("Bearer tok_secret");
    expect(box.seal("Bearer tok_secret")).not.toBe(sealed);
    const parts = sealed.split(".");
    parts[3] = Buffer.from(Buffer.from(parts[3]!, "base64url").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64url");
    expect(() => box.open(parts.join("."))).toThrow();
    const other = createSecretBox(encryptionKeysEnv.parse(`k1:${key()}`));
    expect(() => other.open(sealed)).toThrow();
  });

  it("rotates: a new key in front seals, the old one listed behind still opens", () => {
    const oldKey = key();
    const before = createSecretBox(encryptionKeysEnv.parse(`k1:${oldKey}`));
    const sealedBefore = before.seal("old");
    const after = createSecretBox(encryptionKeysEnv.parse(`k2:${key()},k1:${oldKey}`));
    expect(after.activeKeyId).toBe("k2");
    expect(after.open(sealedBefore)).toBe("old");
    expect(after.seal("new").startsWith("v1.k2.")).toBe(true);
    const dropped = createSecretBox(encryptionKeysEnv.parse(`k2:${key()}`));
    expect(() => dropped.open(sealedBefore)).toThrow(/key "k1"/);
  });

  it("refuses keys that are not 32 bytes, without echoing them", () => {
    const r = encryptionKeysEnv.safeParse("k1:c2hvcnQ=");
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error)).not.toContain("c2hvcnQ");
    expect(encryptionKeysEnv.parse(key())[0]!.id).toBe("k1");
  });
});
