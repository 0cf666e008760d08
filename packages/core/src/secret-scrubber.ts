/**
 * Removes known secrets (LLM API keys, HTTP tool header values, later tenant keys) from foreign text:
 * a provider's error body, a tool endpoint's answer, a transport error. Not only whole secrets: any
 * run of at least `fragmentLength(secret)` characters of a secret counts as the secret, so a key cut
 * in half (by a length cap, a line wrap, a provider that echoes "sk-abc…xyz") still never leaks. Scrub
 * before anything is cut, joined or serialised; cutting scrubbed text cannot make a fragment longer.
 *
 * Matching is ASCII case-insensitive (a header dump may change case). Cost: one rolling hash per
 * character of the text per distinct fragment length (at most a few), so it is meant for error text
 * and tool bodies, not for every streamed delta.
 */

export const SECRET_MARK = "[redacted]";

/** Shorter "secrets" cannot be told apart from ordinary text (and are no protection anyway). */
export const MIN_SECRET_LENGTH = 4;

/** Fragments this long of a secret are redacted: 8 characters, or half of a key shorter than 16,
 *  at least 4 (a key of 4 to 8 characters is then redacted from 4 of its characters on). */
export function fragmentLength(secretLength: number): number {
  return Math.min(8, Math.max(MIN_SECRET_LENGTH, Math.ceil(secretLength / 2)));
}

export interface SecretScrubber {
  /** Adds secrets; ones shorter than MIN_SECRET_LENGTH are ignored. Idempotent. */
  add(...secrets: ReadonlyArray<string | undefined>): void;
  /** `text` with every fragment of every known secret replaced by "[redacted]". */
  scrub(text: string): string;
}

// Rolling hash in 32-bit integer arithmetic (wraps mod 2^32); a hit is confirmed by comparing text.
const BASE = 131;
// A bitset over the hash's low bits rejects almost every position before the Map is consulted.
const FILTER_BITS = 16;

function lowerCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** All fragments of one length, indexed by their rolling hash. */
interface Grams {
  length: number;
  /** BASE^(length-1), to roll the first character out. */
  top: number;
  byHash: Map<number, string[]>;
  filter: Uint32Array;
}

function hashOf(text: string, from: number, length: number): number {
  let h = 0;
  for (let i = from; i < from + length; i++) h = (Math.imul(h, BASE) + lowerCode(text, i)) | 0;
  return h;
}

const filterIndex = (h: number) => (h >>> 5) & ((1 << (FILTER_BITS - 5)) - 1);
const filterBit = (h: number) => 1 << (h & 31);

function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

export function createSecretScrubber(initial: ReadonlyArray<string | undefined> = []): SecretScrubber {
  const known = new Set<string>();
  const byLength = new Map<number, Grams>();

  function addOne(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || known.has(secret)) return;
    known.add(secret);
    const length = fragmentLength(secret.length);
    let grams = byLength.get(length);
    if (!grams) {
      let top = 1;
      for (let i = 1; i < length; i++) top = Math.imul(top, BASE);
      grams = { length, top, byHash: new Map(), filter: new Uint32Array(1 << (FILTER_BITS - 5)) };
      byLength.set(length, grams);
    }
    const lower = lowerAscii(secret);
    for (let i = 0; i + length <= lower.length; i++) {
      const gram = lower.slice(i, i + length);
      const h = hashOf(lower, i, length);
      grams.filter[filterIndex(h)]! |= filterBit(h);
      const list = grams.byHash.get(h);
      if (!list) grams.byHash.set(h, [gram]);
      else if (!list.includes(gram)) list.push(gram);
    }
  }

  /** Marks [start, end) ranges of `text` covered by a fragment of some secret. */
  function covered(text: string): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const g of byLength.values()) {
      if (text.length < g.length) continue;
      const { length, top, filter, byHash } = g;
      let h = hashOf(text, 0, length);
      for (let i = 0; ; i++) {
        if ((filter[filterIndex(h)]! & filterBit(h)) !== 0) {
          const hits = byHash.get(h);
          if (hits && hits.includes(lowerAscii(text.slice(i, i + length)))) ranges.push([i, i + length]);
        }
        if (i + length >= text.length) break;
        h = (h - Math.imul(lowerCode(text, i), top)) | 0;
        h = (Math.imul(h, BASE) + lowerCode(text, i + length)) | 0;
      }
    }
    return ranges;
  }

  const scrubber: SecretScrubber = {
    add(...secrets) {
      for (const s of secrets) if (s) addOne(s);
    },
    scrub(text) {
      if (byLength.size === 0 || text.length === 0) return text;
      const ranges = covered(text);
      if (ranges.length === 0) return text;
      ranges.sort((a, b) => a[0] - b[0]);
      let out = "";
      let at = 0;
      let open: [number, number] | undefined;
      for (const r of ranges) {
        if (open && r[0] <= open[1]) {
          open[1] = Math.max(open[1], r[1]);
          continue;
        }
        if (open) {
          out += SECRET_MARK;
          at = open[1];
        }
        out += text.slice(at, r[0]);
        open = [r[0], r[1]];
      }
      return out + SECRET_MARK + text.slice(open![1]);
    },
  };
  scrubber.add(...initial);
  return scrubber;
}
