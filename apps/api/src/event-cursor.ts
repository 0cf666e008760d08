import { TurnqError } from "@turnq/core";

/**
 * `<stream id>[.<k>]~<seq>`: where the event sits in the live stream (`.k`: the k-th event of an entry
 * that holds several, see StreamedEvent.id), and the newest durable log seq then.
 */
const eventIdPattern = /^(\d{1,20})-(\d{1,20})(?:\.(\d{1,4}))?(?:~(\d{1,20}))?$/;
/** Each half of a Redis stream id is an unsigned 64-bit integer. */
const maxStreamPart = 2n ** 64n - 1n;

/**
 * Reads Last-Event-ID (or `?after=`) into the live-stream cursor and the log seq, refusing anything
 * Redis or Postgres would reject once the stream has started, when a 400 can no longer be sent.
 */
export function parseEventCursor(raw: string | undefined): { cursor: string; seq: number } {
  if (raw === undefined) return { cursor: "0", seq: 0 };
  const m = eventIdPattern.exec(raw);
  const ms = m ? BigInt(m[1]!) : -1n;
  const part = m ? BigInt(m[2]!) : -1n;
  const index = m?.[3];
  const seq = Number(m?.[4] ?? 0);
  if (!m || ms > maxStreamPart || part > maxStreamPart || !Number.isSafeInteger(seq)) {
    throw new TurnqError(
      "invalid_request",
      "Last-Event-ID must be an event id this API sent (like 1700000000000-0~12 or 1700000000000-0.1~12): two integers below 2^64 joined by -, optionally . and an event index, then optionally ~ and a log seq below 2^53; send one you received, or none to start from now.",
    );
  }
  return { cursor: `${ms}-${part}${index === undefined ? "" : `.${Number(index)}`}`, seq };
}
