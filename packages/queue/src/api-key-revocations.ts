import type { Redis } from "ioredis";
import type { ChannelHub } from "./channel-hub.ts";
import { apiKeyRevokedChannel } from "./keys.ts";

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
export function onApiKeyRevoked(channels: ChannelHub, prefix: string, handlers: RevocationHandlers): Promise<unknown> {
  // Once subscribed again after a loss nothing more is missed, and the caller forgets what it
  // verified while revocations could have been.
  channels.watchConnection({ lost: handlers.onLost, restored: handlers.onRestored });
  return channels.listen(apiKeyRevokedChannel(prefix), handlers.onRevoked);
}
