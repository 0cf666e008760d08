import { request, type Agent } from "undici";
import { z } from "zod";
import { anyAddress, type AddressPolicy } from "../address-policy.ts";
import { defineTool } from "../define-tool.ts";
import { readBodyCapped, headerValue } from "../read-body.ts";
import { truncateText } from "../result-content.ts";
import { createGuardedAgent, OutboundRequestBlockedError, urlProblem, type Lookup } from "../ssrf-guard.ts";
import type { Tool } from "../tool.ts";

export interface HttpGetToolOptions {
  /** Largest body read; larger bodies are refused. Default 1 MiB. */
  maxBytes?: number;
  /** Whole-call deadline (all hops). Default 10 s. */
  timeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** Allows private/loopback targets. For tests only; default false. */
  allowPrivateAddresses?: boolean;
  /** Finer-grained replacement for `allowPrivateAddresses` (wins over it). Default: public addresses only. */
  isAllowedAddress?: AddressPolicy;
  /** Name resolution; default `dns.lookup`. */
  lookup?: Lookup;
  /** Body characters returned to the model; the rest is cut with a marker. Default 32 Ki. */
  maxBodyChars?: number;
}

export interface HttpGetResult {
  status: number;
  contentType: string | null;
  body: string;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** `url` must be absolute http(s) without credentials; checked before anything is resolved or sent. */
const urlArgument = z.string().superRefine((value, ctx) => {
  const problem = URL.canParse(value) ? urlProblem(new URL(value)) : "not an absolute URL";
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

export function createHttpGetTool(opts: HttpGetToolOptions = {}): Tool & { close(): Promise<void> } {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRedirects = opts.maxRedirects ?? 3;
  const maxBodyChars = opts.maxBodyChars ?? 32 * 1024;
  const policy = opts.isAllowedAddress ?? (opts.allowPrivateAddresses === true ? anyAddress : undefined);
  // Created on first use (nothing happens at import or definition time) and reused for keep-alive.
  let agent: Agent | undefined;
  const getAgent = (): Agent =>
    (agent ??= createGuardedAgent({ isAllowedAddress: policy, lookup: opts.lookup, timeoutMs }));

  const tool = defineTool({
    name: "http_get",
    description:
      "Fetch a public web page or API with HTTP GET and return its status, content type and body as text. " +
      "Private and internal network addresses are refused.",
    parameters: z.object({ url: urlArgument.describe("Absolute http:// or https:// URL") }),
    parallelSafe: true,
    idempotent: true,
    timeoutMs,
    async run({ url }, ctx): Promise<HttpGetResult> {
      let current = new URL(url);
      // Redirects are followed here, one hop at a time, so every hop's URL and address is checked.
      for (let hop = 0; ; hop++) {
        const res = await request(current, {
          method: "GET",
          dispatcher: getAgent(),
          signal: ctx.signal,
          headers: { accept: "text/*, application/json;q=0.9, */*;q=0.5", "user-agent": "turnq-http-get" },
        });
        const location = headerValue(res.headers, "location");
        if (redirectStatuses.has(res.statusCode) && location !== undefined) {
          await res.body.dump();
          if (hop >= maxRedirects) throw new Error(`too many redirects (more than ${maxRedirects})`);
          const next = URL.canParse(location, current.href) ? new URL(location, current) : undefined;
          const problem = next === undefined ? "invalid Location header" : urlProblem(next);
          if (problem !== undefined || next === undefined) {
            throw new OutboundRequestBlockedError(`refusing to follow redirect: ${problem}`);
          }
          current = next;
          continue;
        }
        const bytes = await readBodyCapped(res.body, res.headers, maxBytes);
        return {
          status: res.statusCode,
          contentType: headerValue(res.headers, "content-type") ?? null,
          body: truncateText(new TextDecoder().decode(bytes), maxBodyChars).text,
        };
      }
    },
  });

  return {
    ...tool,
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close();
    },
  };
}
