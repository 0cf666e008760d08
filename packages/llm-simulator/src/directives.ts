import { z } from "zod";
import { describeIssues } from "./issues.ts";

export interface Directives {
  delayMs: number | undefined;
  firstMs: number | undefined;
  error: { status: number; retryAfterS: number | undefined; failFirst: number | undefined } | undefined;
  /** Number of stream chunks sent before the response goes silent. */
  stallAfterChunks: number | undefined;
  reply: string | undefined;
  words: number | undefined;
  tools: string[] | undefined;
  /** Canonical JSON text of the tool-call arguments. */
  args: string;
}

export type DirectiveParse = { ok: true; directives: Directives; text: string } | { ok: false; message: string };

// A `]` only ends the directive when doubled, and quoted values may hold anything but `"`,
// so `reply="a ] b"` and `args={"a":[1]}` survive.
const DIRECTIVE = /\s*\[\[sim((?:[^"\]]|"[^"]*"|\](?!\]))*)\]\]\s*/g;
const TOKEN = /([^\s="]+)(?:=((?:"[^"]*"|[^\s"]+)+))?/g;

const whole = z.string().regex(/^\d+$/, "expected a whole number").transform(Number);
const toolName = /^[a-zA-Z0-9_-]{1,64}$/;

const rawSchema = z
  .strictObject({
    delay: whole.optional(),
    first: whole.optional(),
    error: whole.pipe(z.number().min(400).max(599)).optional(),
    "retry-after": whole.optional(),
    "fail-first": whole.optional(),
    stall: z.literal(true, { error: "stall is a flag and takes no value" }).optional(),
    "stall-after": whole.optional(),
    reply: z.string().optional(),
    words: whole.pipe(z.number().max(1_000_000)).optional(),
    tool: z.string().regex(toolName, "tool name: letters, digits, _ or -").optional(),
    tools: z
      .string()
      .transform((s) => s.split(","))
      .pipe(z.array(z.string().regex(toolName, "tool names: letters, digits, _ or -, comma separated")))
      .optional(),
    args: z
      .string()
      .transform((s, ctx) => {
        try {
          const value: unknown = JSON.parse(s);
          if (typeof value === "object" && value !== null && !Array.isArray(value)) return JSON.stringify(value);
        } catch {}
        ctx.addIssue({ code: "custom", message: "args must be a JSON object without spaces" });
        return z.NEVER;
      })
      .optional(),
  })
  .refine((d) => d.error !== undefined || (d["fail-first"] === undefined && d["retry-after"] === undefined), {
    message: "fail-first and retry-after only make sense together with error=CODE",
  });

/**
 * Finds `[[sim key=value flag]]` tokens in a prompt. Unknown keys and bad values are reported
 * rather than ignored, so a typo in a test script fails loudly instead of silently doing nothing.
 */
export function parseDirectives(prompt: string): DirectiveParse {
  const raw: Record<string, string | true> = {};
  let found = false;
  for (const block of prompt.matchAll(DIRECTIVE)) {
    found = true;
    for (const token of (block[1] ?? "").matchAll(TOKEN)) {
      const key = token[1] ?? "";
      const value = token[2];
      raw[key] = value === undefined ? true : unquote(value);
    }
  }
  const text = found ? prompt.replace(DIRECTIVE, " ").trim() : prompt;
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, message: `Invalid [[sim ...]] directive: ${describeIssues(parsed.error)}` };
  }
  const d = parsed.data;
  const stallAfter = d["stall-after"] ?? (d.stall ? 1 : undefined);
  return {
    ok: true,
    text,
    directives: {
      delayMs: d.delay,
      firstMs: d.first,
      error:
        d.error === undefined ? undefined : { status: d.error, retryAfterS: d["retry-after"], failFirst: d["fail-first"] },
      stallAfterChunks: stallAfter,
      reply: d.reply,
      words: d.words,
      tools: d.tools ?? (d.tool === undefined ? undefined : [d.tool]),
      args: d.args ?? "{}",
    },
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') && !value.slice(1, -1).includes('"')
    ? value.slice(1, -1)
    : value;
}
