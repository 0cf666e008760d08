import type { Redis } from "ioredis";
import type { ChannelHub } from "./channel-hub.ts";
import { cancelChannel } from "./keys.ts";

/**
 * Asks whichever worker runs the turn to stop it. Fire-and-forget by design: the request is also
 * recorded on the turn row (cancel_requested_at), which the worker checks when it claims a turn and
 * between steps, so a lost message only delays the stop.
 */
export function publishCancel(redis: Redis, prefix: string, turnId: string): Promise<number> {
  return redis.publish(cancelChannel(prefix), turnId);
}

/** One subscription per worker process; `onCancel` gets each turn id. Returns an unsubscribe. */
export function subscribeCancels(channels: ChannelHub, prefix: string, onCancel: (turnId: string) => void): Promise<() => Promise<void>> {
  return channels.listen(cancelChannel(prefix), onCancel);
}
