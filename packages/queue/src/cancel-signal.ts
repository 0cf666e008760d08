import type { Redis } from "ioredis";
import { cancelChannel } from "./keys.ts";
import { subscribeWhenReady } from "./redis.ts";


/**
 * Asks whichever worker runs the turn to stop it. Fire-and-forget by design: the request is also
 * recorded on the turn row (cancel_requested_at), which the worker checks when it claims a turn and
 * between steps, so a lost message only delays the stop.
 */
export function publishCancel(redis: Redis, prefix: string, turnId: string): Promise<number> {
  return redis.publish(cancelChannel(prefix), turnId);
}

/** One subscription per worker process; `onCancel` gets each turn id. Returns an unsubscribe. */
export async function subscribeCancels(subscriber: Redis, prefix: string, onCancel: (turnId: string) => void): Promise<() => Promise<void>> {
  const listener = (ch: string, message: string) => {
    if (ch === cancelChannel(prefix)) onCancel(message);
  };
  subscriber.on("message", listener);
  const unsubscribe = await subscribeWhenReady(subscriber, cancelChannel(prefix));
  return async () => {
    subscriber.off("message", listener);
    await unsubscribe();
  };
}
