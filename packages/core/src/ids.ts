import { randomFillSync } from "node:crypto";

/** Every id turnq hands out carries one of these prefixes, so a stray id says what it is. */
export const idPrefixes = {
  session: "ses",
  turn: "turn",
  message: "msg",
  agent: "agt",
  tenant: "ten",
  apiKey: "key",
  webhook: "wh",
  webhookDelivery: "whd",
} as const;
export type IdKind = keyof typeof idPrefixes;

// Crockford base32: sortable as strings, no ambiguous letters.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

function encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

// Random bytes are drawn from a pool refilled 4 KiB at a time: one call into OpenSSL per ~400 ids.
const pool = Buffer.allocUnsafe(4_096);
let used = pool.length;
function randomSlice(n: number): Uint8Array {
  if (used + n > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += n;
  return pool.subarray(used - n, used);
}

/** `ses_…`/`turn_…`: 48 bits of milliseconds then 80 random bits, so ids sort by creation time. */
export function newId(kind: IdKind, now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  bytes.set(randomSlice(10), 6);
  return `${idPrefixes[kind]}_${encode(bytes)}`;
}

/** The smallest id of this kind created at `ms`: ids at or after that time compare >= it. */
export function idFloor(kind: IdKind, ms: number): string {
  const bytes = new Uint8Array(16);
  let t = Math.max(0, Math.floor(ms));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256;
    t = Math.floor(t / 256);
  }
  return `${idPrefixes[kind]}_${encode(bytes)}`;
}

const idPattern = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `id` is a well-formed id of this kind; used to answer 404 without a database query. */
export function isId(kind: IdKind, id: string): boolean {
  const prefix = `${idPrefixes[kind]}_`;
  return id.startsWith(prefix) && idPattern.test(id.slice(prefix.length));
}
