import { z } from "zod";
import { defineTool } from "../define-tool.ts";

/** Whether the runtime knows this IANA zone; `Intl` throws a RangeError for unknown ones. */
function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface CurrentTimeResult {
  /** ISO 8601 with the zone's UTC offset, e.g. 2025-03-01T09:30:00.000+01:00. */
  iso: string;
  timezone: string;
  utc: string;
}

/** Wall-clock fields of `date` in `zone`, via Intl so DST rules come from the runtime's tz database. */
function formatInZone(date: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "longOffset",
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? "";
  // "GMT+01:00" -> "+01:00"; plain "GMT" is UTC itself.
  const offset = get("timeZoneName").replace(/^GMT/, "") || "+00:00";
  const ms = String(date.getUTCMilliseconds()).padStart(3, "0");
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}:${get("second")}.${ms}${offset}`;
}

/** `current_time`, with an injectable clock so tests (and replays) can pin "now". */
export function createCurrentTimeTool(opts: { now?: () => Date } = {}) {
  const now = opts.now ?? (() => new Date());
  return defineTool({
    name: "current_time",
    description: "Get the current date and time, in UTC or in a given IANA time zone (e.g. Europe/Paris).",
    parameters: z.object({
      timezone: z
        .string()
        .refine(isKnownTimeZone, { message: "unknown IANA time zone (use a name like Europe/Paris or UTC)" })
        .optional()
        .describe("IANA time zone name; defaults to UTC"),
    }),
    parallelSafe: true,
    idempotent: true,
    timeoutMs: 1_000,
    async run({ timezone }): Promise<CurrentTimeResult> {
      const date = now();
      const zone = timezone ?? "UTC";
      return { iso: formatInZone(date, zone), timezone: zone, utc: date.toISOString() };
    },
  });
}

export const currentTimeTool = createCurrentTimeTool();
