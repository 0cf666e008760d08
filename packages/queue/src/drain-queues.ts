import { Queue, type ConnectionOptions } from "bullmq";
import { drainJob, type DrainJobData } from "./job-catalog.ts";
import { queuePrefix, type KeySpace } from "./keys.ts";

/**
 * One BullMQ drain queue per shard (keys.ts), all on one connection: `result[i]` is shard i's. The
 * API adds each session's drain job to its shard's queue; a worker runs a BullMQ Worker on each.
 */
export function createDrainQueues(connection: ConnectionOptions, space: KeySpace, onError: (err: Error) => void): Queue<DrainJobData>[] {
  return Array.from({ length: space.shards }, (_, shard) => {
    const queue = new Queue<DrainJobData>(drainJob.queueName, { connection, prefix: queuePrefix(space, shard) });
    queue.on("error", onError);
    return queue;
  });
}

/**
 * Slots of one worker process per shard: WORKER_CONCURRENCY split evenly, rounded up, so a process
 * runs about WORKER_CONCURRENCY drains in all (sessions spread evenly over shards by their ids' hash).
 */
export function concurrencyPerShard(concurrency: number, space: KeySpace): number {
  return Math.ceil(concurrency / space.shards);
}
