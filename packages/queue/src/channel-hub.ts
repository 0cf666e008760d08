import type { Redis } from "ioredis";
import { whenReady } from "./redis.ts";

/** What a listener is told about the connection itself (see ChannelHub.watchConnection). */
export interface ConnectionWatch {
  /** The connection dropped: messages sent from now until `restored` are lost. */
  lost(): void;
  /** Every channel is subscribed again after a loss. */
  restored(): void;
}

/**
 * The one reader of a process's subscriber connection. Everything that listens to a Redis channel
 * (turn-done notifications, session-event nudges, cancel requests, follow announcements, key
 * revocations) registers here rather than adding a "message" handler of its own: a message costs one
 * map lookup, not one check per listener, and a channel is subscribed once, on its first listener,
 * and unsubscribed after its last.
 *
 * Subscribing waits until the connection is ready, and every channel is subscribed again each time
 * it comes back. A SUBSCRIBE queued before the connection is set up races ioredis's own set-up
 * commands (CLIENT SETNAME, the ready check): they then fail in subscriber mode, the client
 * reconnects, and the subscription is silently gone (seen here: every long-poll then waited for its
 * 5 s re-check).
 */
export interface ChannelHub {
  /** Adds `onMessage` for `channel`; resolves once Redis holds the subscription, with the listener's removal. */
  listen(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /** Hands `message` to `channel`'s listeners here, as if it had arrived on it (no Redis command). */
  deliver(channel: string, message: string): void;
  /** Tells `watch` when the connection drops and when its subscriptions hold again; returns its removal. */
  watchConnection(watch: ConnectionWatch): () => void;
}

interface Channel {
  listeners: Set<(message: string) => void>;
  /** The SUBSCRIBE of this channel's first listener: later listeners wait for it too. */
  subscribed: Promise<void>;
}

export function createChannelHub(subscriber: Redis): ChannelHub {
  const channels = new Map<string, Channel>();
  const watches = new Set<ConnectionWatch>();
  let lost = false;

  const deliver = (channel: string, message: string) => {
    const entry = channels.get(channel);
    if (entry) for (const onMessage of entry.listeners) onMessage(message);
  };
  subscriber.on("message", deliver);
  subscriber.on("close", () => {
    lost = true;
    for (const w of watches) w.lost();
  });
  subscriber.on("ready", () => {
    const wasLost = lost;
    lost = false;
    // A SUBSCRIBE answers only once the subscription holds: from then on nothing is missed.
    const subscribed = channels.size > 0 ? subscriber.subscribe(...channels.keys()) : Promise.resolve();
    subscribed.then(
      () => {
        if (wasLost) for (const w of watches) w.restored();
      },
      () => {},
    );
  });

  return {
    async listen(channel, onMessage) {
      let entry = channels.get(channel);
      if (!entry) {
        const created: Channel = { listeners: new Set(), subscribed: whenReady(subscriber).then(() => subscriber.subscribe(channel).then(() => {})) };
        // A failed SUBSCRIBE (the connection closed for good) is not kept: the next listener tries again.
        created.subscribed.catch(() => channels.get(channel) === created && channels.delete(channel));
        channels.set(channel, (entry = created));
      }
      entry.listeners.add(onMessage);
      const own = entry;
      await own.subscribed;
      return async () => {
        own.listeners.delete(onMessage);
        if (own.listeners.size > 0 || channels.get(channel) !== own) return;
        channels.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => {});
      };
    },
    deliver,
    watchConnection(watch) {
      watches.add(watch);
      return () => watches.delete(watch);
    },
  };
}
