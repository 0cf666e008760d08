/**
 * A random UUID (v4) to send as Idempotency-Key. Not crypto.randomUUID: browsers offer it only in
 * secure contexts (https, localhost), so a page served over plain http from another host (the
 * console on a LAN address) has none; getRandomValues exists everywhere.
 */
export function newIdempotencyKey(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
