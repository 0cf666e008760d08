import { parseArgs } from "node:util";

export const usage = `turnq: the turnq API from a terminal

  turnq sessions create [--agent <agent id>] [--metadata '<json>'] [--token-budget <n>]
  turnq sessions get <session>
  turnq send <session> "text" [--on-busy enqueue|reject|interrupt]
        prints the reply as it streams, tool calls as they start and finish;
        exit 0 completed, 1 failed, 3 cancelled
  turnq tail <session>            follow the session's live events (Ctrl-C to stop)
  turnq turns get <turn> | turns cancel <turn>
  turnq agents apply -f agent.json   create, or with "id" in the file add a version
  turnq messages <session> [--after <seq>] [--limit <n>]

  --url <base URL>   or TURNQ_URL (default http://localhost:3000)
  --key <API key>    or TURNQ_API_KEY
  --json             machine-readable output: one JSON value per line
Exit codes: 0 ok, 1 turn failed, 2 bad usage, 3 turn cancelled, 4 the API refused or was unreachable.`;

export const exitCodes = { ok: 0, failed: 1, usage: 2, cancelled: 3, api: 4 } as const;

export class UsageError extends Error {}

export interface CliArgs {
  url: string;
  key: string | undefined;
  json: boolean;
  positionals: string[];
  values: { agent?: string; metadata?: string; "token-budget"?: string; "on-busy"?: string; file?: string; after?: string; limit?: string; help?: boolean };
}

/** Flags win over the environment; the environment over the defaults. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      key: { type: "string" },
      json: { type: "boolean", default: false },
      agent: { type: "string" },
      metadata: { type: "string" },
      "token-budget": { type: "string" },
      "on-busy": { type: "string" },
      file: { type: "string", short: "f" },
      after: { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const url = values.url ?? env["TURNQ_URL"] ?? "http://localhost:3000";
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must start with http:// or https:// (got ${url}).`);
  const { url: _, key, json, ...rest } = values;
  return { url, key: key ?? (env["TURNQ_API_KEY"] || undefined), json: json ?? false, positionals, values: rest };
}

export function intFlag(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new UsageError(`--${name} must be a non-negative integer (got ${raw}).`);
  return Number(raw);
}
