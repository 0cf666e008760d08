import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannelHub, createEventPublisher, keySpace, markFollowed, sessionKeys, subscribeFollowSignals, type FollowSignals } from "@turnq/queue";
import { redisUrl } from "../../../test/support/services.ts";
import { deleteKeys } from "../../../test/support/redis-keys.ts";
import { TurnLive } from "../src/turn-live.ts";

/**
 * A turn's live events against a real Redis: what reaches the session's stream, and when, with and
 * without a reader following the session (the API's mark and announcement, as event-reader.ts sends them).
 */
describe("TurnLive", () => {
  const prefix = `tlive-${randomUUID().slice(0, 8)}`;
  const space = keySpace(prefix);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const publisher = createEventPublisher(redis, space);
  let signals: FollowSignals;
  beforeAll(async () => {
    signals = await subscribeFollowSignals(redis, createChannelHub(subscriber), space);
  });
  afterAll(async () => {
    await signals.close();
    await deleteKeys(redisUrl(), `${prefix}:*`).catch(() => 0);
    await Promise.all([redis.quit(), subscriber.quit()]);
  });

  /** The stream's events as [type, detail, at?] per event, entries split like the event reader does. */
  const streamOf = async (sessionId: string) => {
    const rows = await redis.xrange(sessionKeys(space, sessionId).events, "-", "+");
    return rows.map(([, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      const items = f.has("es") ? (JSON.parse(f.get("es")!) as [number | null, { type: string; status?: string; text?: string }, number?][]) : [[null, JSON.parse(f.get("e")!)]];
      return items.map(([, e, at]) => [e.type, e.status ?? e.text ?? "", ...(at === undefined ? [] : [typeof at])]);
    });
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));
  const turn = () => ({ id: `turn_${randomUUID()}`, sessionId: `ses_${randomUUID()}` });

  it("holds the running status and text while nobody follows, and writes them with the next other event, stamped with their time", async () => {
    const t = turn();
    const live = new TurnLive(publisher, signals, t);
    live.emit({ type: "turn.status", status: "running" });
    live.emit({ type: "message.delta", text: "Hel" });
    live.emit({ type: "message.delta", text: "lo" });
    await settle();
    expect(live.followed()).toBe(false);
    expect(await streamOf(t.sessionId)).toEqual([]);
    live.emit({ type: "tool.started", callId: "c1", name: "x" });
    await settle();
    // One entry: the held events first (with their own times), then the event that ended the hold.
    expect(await streamOf(t.sessionId)).toEqual([
      [
        ["turn.status", "running", "number"],
        ["message.delta", "Hello", "number"],
        ["tool.started", ""],
      ],
    ]);
    // Held again after that; take() hands it over for the closing events.
    live.emit({ type: "message.delta", text: "more" });
    expect(live.take()).toMatchObject([{ event: { type: "message.delta", text: "more" }, at: expect.any(Number) }]);
    live.close();
  });

  it("writes every event as it comes when the session is followed before the turn starts (the first once the check answers)", async () => {
    const t = turn();
    await markFollowed(redis, space, t.sessionId, true);
    const live = new TurnLive(publisher, signals, t);
    live.emit({ type: "turn.status", status: "running" });
    await settle();
    expect(live.followed()).toBe(true);
    live.emit({ type: "message.delta", text: "a" });
    await settle();
    // The running status waited for the check (one round trip), so it carries its own time.
    expect(await streamOf(t.sessionId)).toEqual([[["turn.status", "running", "number"]], [["message.delta", "a"]]]);
    live.close();
  });

  it("writes what it held as soon as a reader announces itself mid-turn, then every event as it comes", async () => {
    const t = turn();
    const live = new TurnLive(publisher, signals, t);
    live.emit({ type: "turn.status", status: "running" });
    live.emit({ type: "message.delta", text: "so far" });
    await settle();
    expect(await streamOf(t.sessionId)).toEqual([]);
    await markFollowed(redis, space, t.sessionId, true);
    await settle();
    expect(live.followed()).toBe(true);
    live.emit({ type: "message.delta", text: "next" });
    await settle();
    expect(await streamOf(t.sessionId)).toEqual([
      [
        ["turn.status", "running", "number"],
        ["message.delta", "so far", "number"],
      ],
      [["message.delta", "next"]],
    ]);
    expect(live.take()).toEqual([]);
    live.close();
  });

  it("stops listening when closed: a later announcement for the session changes nothing", async () => {
    const t = turn();
    const live = new TurnLive(publisher, signals, t);
    live.emit({ type: "turn.status", status: "running" });
    live.close();
    await markFollowed(redis, space, t.sessionId, true);
    await settle();
    expect(live.followed()).toBe(false);
    expect(await streamOf(t.sessionId)).toEqual([]);
  });
});
