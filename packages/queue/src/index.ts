export * from "./redis.ts";
export * from "./keys.ts";
export * from "./job-catalog.ts";
export * from "./mailbox.ts";
export * from "./turn-notifier.ts";
export * from "./cancel-signal.ts";
