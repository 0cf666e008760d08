import { describe, expect, it } from "vitest";
import { createSecretScrubber, fragmentLength, SECRET_MARK } from "../src/index.ts";

/** Brute force: every fragment of `secret` of the threshold length that still occurs in `text`. */
function leaks(text: string, secret: string): string[] {
  const n = fragmentLength(secret.length);
  const lower = text.toLowerCase();
  const found: string[] = [];
  for (let i = 0; i + n <= secret.length; i++) {
    const frag = secret.slice(i, i + n).toLowerCase();
    if (lower.includes(frag)) found.push(frag);
  }
  return found;
}

// A small seeded generator, so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
function word(r: () => number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return out;
}

describe("secret scrubber", () => {
  it("replaces a whole key, its fragments of 8 characters and more, and a key in other case", () => {
    const key = "sk-proj-4f9a1c7e2b8d6f0a3c5e7b9d1f2a4c6e";
    const s = createSecretScrubber([key]);
    expect(s.scrub(`bad key ${key}!`)).toBe(`bad key ${SECRET_MARK}!`);
    expect(s.scrub(`Incorrect API key provided: sk-proj-****${key.slice(-8)}.`)).toBe(`Incorrect API key provided: ${SECRET_MARK}****${SECRET_MARK}.`);
    expect(s.scrub(`cut: ${key.slice(0, 12)}`)).toBe(`cut: ${SECRET_MARK}`);
    expect(s.scrub(key.toUpperCase())).toBe(SECRET_MARK);
    // Seven characters of the key are below the threshold: ordinary text stays readable.
    expect(s.scrub(`model sk-proj not found`)).toBe("model sk-proj not found");
  });

  it("uses half the key for short keys, and ignores strings too short to be a secret", () => {
    expect(fragmentLength(40)).toBe(8);
    expect(fragmentLength(10)).toBe(5);
    expect(fragmentLength(6)).toBe(4);
    const s = createSecretScrubber(["hunter2pass", "abc"]);
    expect(s.scrub("got hunte and 2pass")).toBe("got hunte and 2pass");
    expect(s.scrub("got hunter2")).toBe(`got ${SECRET_MARK}`);
    expect(s.scrub("abc abc")).toBe("abc abc");
  });

  it("takes secrets added later (tenant keys) and tells several apart", () => {
    const s = createSecretScrubber(["first-secret-value-0001"]);
    s.add("second-secret-value-0002", undefined, "");
    expect(s.scrub("a first-secret-value-0001 b second-secret-value-0002 c")).toBe(`a ${SECRET_MARK} b ${SECRET_MARK} c`);
  });

  it("leaves no fragment at or above the threshold in generated texts (seeded, 2,000 cases)", () => {
    const r = rng(20_251_124);
    for (let c = 0; c < 2_000; c++) {
      const secrets = Array.from({ length: 1 + Math.floor(r() * 3) }, () => word(r, 4 + Math.floor(r() * 60)));
      const s = createSecretScrubber(secrets);
      let text = "";
      for (let k = 0; k < 6; k++) {
        text += word(r, Math.floor(r() * 20));
        const secret = secrets[Math.floor(r() * secrets.length)]!;
        const from = Math.floor(r() * secret.length);
        const piece = secret.slice(from, from + 1 + Math.floor(r() * secret.length));
        text += r() < 0.3 ? piece.toUpperCase() : piece;
      }
      const out = s.scrub(text);
      for (const secret of secrets) expect(leaks(out, secret), `case ${c}: ${JSON.stringify({ secrets, text, out })}`).toEqual([]);
    }
  });

  it("returns text without secrets unchanged, also with non-ASCII characters", () => {
    const s = createSecretScrubber(["sk-test-secretPLANTEDkey0123456789"]);
    const text = "Ünïcödé — 日本語 ✓ nothing to hide here";
    expect(s.scrub(text)).toBe(text);
    expect(s.scrub(`日本 sk-test-secretPLANTED ✓`)).toBe(`日本 ${SECRET_MARK} ✓`);
  });
});
