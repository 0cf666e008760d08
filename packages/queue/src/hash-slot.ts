/**
 * Redis Cluster's key-to-slot function (CRC16/XMODEM of the key, or of its hash tag: the text
 * between the first `{` and the next `}` when that text is not empty, modulo 16,384 slots). keys.ts
 * uses it to pick shard tags that land in distinct parts of the slot space.
 */
export const clusterSlots = 16_384;

export function hashSlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  const close = open >= 0 ? bytes.indexOf(0x7d, open + 1) : -1;
  const hashed = close > open + 1 ? bytes.subarray(open + 1, close) : bytes;
  return crc16(hashed) % clusterSlots;
}

/** CRC16/XMODEM: polynomial 0x1021, initial value 0, no reflection. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
