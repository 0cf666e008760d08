import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl } from "../../../test/support/services.ts";
import { createChannelHub, createRedis } from "../src/index.ts";

/** The subscriber connection's one dispatcher, against a real Redis (PUBSUB NUMSUB tells what it holds). */
describe("ChannelHub", () => {
  const admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const subscribers: Redis[] = [];
  const newSubscriber = (name: string) => subscribers[subscribers.push(new Redis(redisUrl(), { connectionName: name, maxRetriesPerRequest: null })) - 1]!;
  const channel = () => `hub-test:${randomUUID()}`;
  const subscriptions = async (ch: string) => Number(((await admin.pubsub("NUMSUB", ch)) as [string, number])[1]);
  /** Publishes until someone hears it: a subscription that holds is heard within a few tries. */
  const heard = async (ch: string, message: string, got: string[]) => {
    await expect.poll(async () => (await admin.publish(ch, message), got.includes(message)), { timeout: 5_000, interval: 50 }).toBe(true);
  };
  afterAll(async () => {
    await Promise.all(subscribers.map((s) => s.quit().catch(() => {})));
    await admin.quit();
  });

  it("subscribes a channel once for all its listeners and unsubscribes it after the last one leaves", async () => {
    const hub = createChannelHub(newSubscriber("hub-test-once"));
    const ch = channel();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await hub.listen(ch, (m) => a.push(m));
    const stopB = await hub.listen(ch, (m) => b.push(m));
    expect(await subscriptions(ch)).toBe(1);
    await admin.publish(ch, "one");
    await expect.poll(() => [a, b]).toEqual([["one"], ["one"]]);
    await stopA();
    expect(await subscriptions(ch)).toBe(1);
    await admin.publish(ch, "two");
    await expect.poll(() => b).toEqual(["one", "two"]);
    expect(a).toEqual(["one"]);
    await stopB();
    expect(await subscriptions(ch)).toBe(0);
  });

  it("holds a subscription asked for before the connection is ready", async () => {
    // With the processes' own subscriber settings (a connection name, an offline queue).
    const subscriber = createRedis(redisUrl(), "subscriber", () => {}, { name: "hub-test-early" });
    subscribers.push(subscriber);
    expect(subscriber.status).not.toBe("ready");
    const hub = createChannelHub(subscriber);
    const ch = channel();
    const got: string[] = [];
    await hub.listen(ch, (m) => got.push(m));
    await heard(ch, "early", got);
  });

  it("hands a message to a channel's listeners here without Redis, and to nobody else", async () => {
    const hub = createChannelHub(newSubscriber("hub-test-deliver"));
    const [ch, other] = [channel(), channel()];
    const got: string[] = [];
    const others: string[] = [];
    await hub.listen(ch, (m) => got.push(m));
    await hub.listen(other, (m) => others.push(m));
    hub.deliver(ch, "local");
    hub.deliver(channel(), "nobody listens");
    expect(got).toEqual(["local"]);
    expect(others).toEqual([]);
  });

  it("says when the connection is lost, subscribes every channel again when it is back, and then says so", async () => {
    const name = `hub-test-kill-${randomUUID().slice(0, 8)}`;
    const hub = createChannelHub(newSubscriber(name));
    const [ch1, ch2] = [channel(), channel()];
    const got: string[] = [];
    await hub.listen(ch1, (m) => got.push(m));
    await hub.listen(ch2, (m) => got.push(m));
    const seen: string[] = [];
    hub.watchConnection({ lost: () => seen.push("lost"), restored: () => seen.push("restored") });
    const list = (await admin.client("LIST")) as string;
    const id = new RegExp(`id=(\\d+) [^\\n]* name=${name} `).exec(list)?.[1];
    expect(id, "the subscriber's connection is listed").toBeDefined();
    await admin.client("KILL", "ID", id!);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(["lost", "restored"]);
    // "restored" comes once Redis holds both channels again: a message published now is not lost.
    expect(await subscriptions(ch1)).toBe(1);
    expect(await subscriptions(ch2)).toBe(1);
    await admin.publish(ch1, "after-1");
    await admin.publish(ch2, "after-2");
    await expect.poll(() => got).toEqual(["after-1", "after-2"]);
  });
});
