import { errorCodes, httpStatusOf, type ErrorCode } from "@turnq/core";
import { z } from "zod";

/** ISO 8601 UTC timestamps, as `Date.prototype.toISOString` writes them. */
export const timestamp = z.iso.datetime();

export const idExamples = {
  session: "ses_01jd8x3k6v2w4q9r7t5m3n1p0z",
  turn: "turn_01jd8x3m0a7b5c3d1e9f7g5h3j",
  agent: "agt_01jd8x2z9y8x7w6v5t4s3r2q1p",
} as const;
export const sessionId = z.string().regex(/^ses_[0-9a-z]{26}$/).meta({ examples: [idExamples.session] });
export const turnId = z.string().regex(/^turn_[0-9a-z]{26}$/).meta({ examples: [idExamples.turn] });
export const agentId = z.string().regex(/^agt_[0-9a-z]{26}$/).meta({ examples: [idExamples.agent] });

export const errorCode = z.enum(errorCodes).meta({
  id: "ErrorCode",
  description: `Stable machine-readable error codes, with the HTTP status each is answered with: ${errorCodes
    .map((c) => `\`${c}\` (${httpStatusOf(c)})`)
    .join(", ")}. Codes from \`llm_rate_limited\` on are recorded on failed turns by workers.`,
});

/** RFC 9457 problem details: every error the API answers has this shape; clients switch on `code`. */
export const problem = z
  .object({
    type: z.string().meta({ example: "urn:turnq:error:not_found" }),
    title: z.string(),
    status: z.number().int(),
    code: errorCode,
    detail: z.string().meta({ description: "What went wrong and what to do about it." }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "With validation_failed: every problem found, by JSON path." }),
    checks: z.record(z.string(), z.string()).optional().meta({ description: "With not_ready: each dependency's check result." }),
    turnId: z.string().optional().meta({ description: "With session_busy: the turn in the way." }),
  })
  .loose()
  .meta({
    id: "Problem",
    description: "An error (application/problem+json, RFC 9457). Extra fields depend on the code.",
    examples: [
      {
        type: "urn:turnq:error:not_found",
        title: "Not found",
        status: 404,
        code: "not_found",
        detail: "Session ses_01jd8x3k6v2w4q9r7t5m3n1p0z does not exist; create one with POST /v1/sessions.",
      },
    ],
  });

export type Problem = z.infer<typeof problem>;

/** The codes grouped by the status they are answered with. */
export function codesByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = httpStatusOf(code);
    out.set(status, [...(out.get(status) ?? []), code]);
  }
  return out;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (zod's z.json, written out so the recursion refers to this named schema). */
export const jsonValue: z.ZodType<JsonValue> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]))
  .meta({ id: "JsonValue" });
