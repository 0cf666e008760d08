/**
 * When a failed delivery is tried again. The default follows the Standard Webhooks suggestion:
 * immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after each failure (8 attempts over
 * about 27 hours), each delay spread by ±20 % so deliveries that failed together (a receiver that
 * went down) do not come back together.
 */
export const defaultRetryScheduleMs = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

/** Parses WEBHOOK_RETRY_SCHEDULE_MS ("5000,300000,…"); undefined when the text is not such a list. */
export function parseRetrySchedule(text: string): number[] | undefined {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.length > 50 || parts.some((p) => !/^\d{1,9}$/.test(p))) return undefined;
  return parts.map(Number);
}

/** The next attempt after a failure at `step` (0 = the first attempt), or null when the schedule is spent. */
export function nextAttemptAt(step: number, schedule: readonly number[], now = Date.now(), random = Math.random): Date | null {
  const delay = schedule[step];
  if (delay === undefined) return null;
  return new Date(now + Math.round(delay * (0.8 + 0.4 * random())));
}
