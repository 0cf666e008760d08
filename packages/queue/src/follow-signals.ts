import type { Redis } from "ioredis";
import type { ChannelHub } from "./channel-hub.ts";
import { followChannel, sessionKeys, type KeySpace } from "./keys.ts";

/**
 * Whether anyone follows a session's live events, as a worker running one of its turns learns it.
 *
 * While an SSE reader follows a session, its API process keeps the session's `watched` key alive (set
 * when the reader starts, renewed every `renewMs`, gone `ttlMs` after the last reader left), and when a
 * reader starts it also announces the session on the follow channel. A worker asks once per turn, at
 * its start (one EXISTS of the key), and from then on hears of a reader that arrives from the
 * announcement: no polling. A turn nobody follows holds back the events that only a follower could use
 * as they happen (its `running` status, its text deltas) and writes them with its next other event or
 * its closing events, in the same stream entry (the worker's TurnLive): two to four Redis commands
 * fewer per turn, and the whole text is still in the stream for anyone who reads it later.
 *
 * The mark is set before the announcement, on one connection, and a check can only turn "followed"
 * on: a reader who comes just as a turn starts is seen by the check or by the announcement. While the
 * worker's subscriber connection is down, announcements are lost, so every turn counts as followed.
 */
export const followMarks = { ttlMs: 60_000, renewMs: 20_000 } as const;

/** The API's side: marks a session followed; `announce` (a reader starts) also tells the workers. */
export function markFollowed(redis: Redis, space: KeySpace, sessionId: string, announce: boolean): Promise<unknown> {
  const marked = redis.set(sessionKeys(space, sessionId).watched, "1", "PX", followMarks.ttlMs);
  if (!announce) return marked;
  return Promise.all([marked, redis.publish(followChannel(space.prefix), sessionId)]);
}

/** One running turn's view of its session (FollowSignals.open). */
export interface FollowSignal {
  /** True once a reader follows the session; never false again for this turn. */
  followed(): boolean;
  /** Stops listening (the turn ended). */
  close(): void;
}

export interface FollowSignals {
  /** Starts watching `sessionId` for a turn: one EXISTS now; `onFollowed` runs once, when it turns followed later. */
  open(sessionId: string, onFollowed: () => void): FollowSignal;
  close(): Promise<void>;
}

export async function subscribeFollowSignals(redis: Redis, channels: ChannelHub, space: KeySpace): Promise<FollowSignals> {
  const open = new Map<string, Set<() => void>>();
  const everyone = () => {
    for (const set of open.values()) for (const follow of set) follow();
  };
  let connected = true;
  // Back: the channel is subscribed again as the connection comes up (channel-hub.ts). An
  // announcement in the moment before that reaches Redis is lost; its turn's held events then go
  // out with its next event or its end, as behind an API that does not announce.
  const unwatch = channels.watchConnection({
    lost() {
      connected = false;
      everyone();
    },
    restored() {
      connected = true;
    },
  });
  const unsubscribe = await channels.listen(followChannel(space.prefix), (sessionId) => {
    for (const follow of open.get(sessionId) ?? []) follow();
  });
  return {
    open(sessionId, onFollowed) {
      let followed = false;
      let closed = false;
      const follow = () => {
        if (followed || closed) return;
        followed = true;
        onFollowed();
      };
      let set = open.get(sessionId);
      if (!set) open.set(sessionId, (set = new Set()));
      set.add(follow);
      if (!connected) followed = true;
      else redis.exists(sessionKeys(space, sessionId).watched).then((n) => n > 0 && follow(), follow);
      return {
        followed: () => followed,
        close() {
          closed = true;
          set.delete(follow);
          if (set.size === 0 && open.get(sessionId) === set) open.delete(sessionId);
        },
      };
    },
    async close() {
      unwatch();
      await unsubscribe();
    },
  };
}
