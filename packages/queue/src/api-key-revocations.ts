import type { Redis } from "ioredis";
import { apiKeyRevokedChannel } from "./keys.ts";
import { subscribeWhenReady } from "./redis.ts";

/** Tells every API process that the key is revoked (the CLI and the admin API call it after the commit). */
export function publishApiKeyRevoked(redis: Redis, prefix: string, keyId: string): Promise<number> {
  return redis.publish(apiKeyRevokedChannel(prefix), keyId);
}

export interface RevocationHandlers {
  onRevoked(keyId: string): void;
  /** The subscription is down: revocations may be missed until `onRestored`. */
  onLost(): void;
  /** Subscribed again after a loss: whatever was sent meanwhile was missed. */
  onRestored(): void;
}

/** Listens for revocations on the process's subscriber connection; resolves once subscribed. */
export function onApiKeyRevoked(subscriber: Redis, prefix: string, handlers: RevocationHandlers): Promise<unknown> {
  const channel = apiKeyRevokedChannel(prefix);
  let lost = false;
  subscriber.on("message", (ch: string, message: string) => {
    if (ch === channel) handlers.onRevoked(message);
  });
  subscriber.on("close", () => {
    lost = true;
    handlers.onLost();
  });
  subscriber.on("ready", () => {
    if (!lost) return;
    // Subscribed again (a SUBSCRIBE answers only once the subscription holds): from here no
    // revocation is missed, and the caller forgets what it verified while it could have been.
    subscriber.subscribe(channel).then(
      () => {
        lost = false;
        handlers.onRestored();
      },
      () => {},
    );
  });
  return subscribeWhenReady(subscriber, channel);
}
