import { TurnqError } from "@turnq/core";
import type { z } from "zod";

/** Parses with a zod schema; failures become one 422 listing every problem with its path. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new TurnqError("validation_failed", "The request body does not match the schema; see `errors`.", {
    details: { errors: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
}
