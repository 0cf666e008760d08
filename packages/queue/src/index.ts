export * from "./redis.ts";
export * from "./keys.ts";
export * from "./queue-gauges.ts";
export * from "./job-catalog.ts";
export * from "./mailbox.ts";
export * from "./turn-notifier.ts";
export * from "./cancel-signal.ts";
export * from "./session-events.ts";
