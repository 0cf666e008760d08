import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { urlProblem } from "@turnq/core";
// The address rule alone: the package's root also loads its HTTP client (undici), which the API never uses.
import { isPublicAddress } from "@turnq/tools/address-policy";

/**
 * Why a webhook URL cannot be registered, in words for `errors[].message`; undefined when it can.
 * Like http_get: http(s) only, no credentials, and (unless the operator set WEBHOOK_ALLOW_PRIVATE)
 * only names that resolve to public addresses. This check is for the user's sake (a clear 422 now);
 * the worker judges the address again on every connection, after its own DNS lookup, which is what
 * stops a name that later resolves somewhere private.
 */
export async function webhookUrlProblem(raw: string, allowPrivate: boolean, resolve = defaultResolve): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL, e.g. https://example.com/hooks/turnq";
  }
  const problem = urlProblem(url);
  if (problem) return problem;
  if (url.hash !== "") return "must not have a #fragment (it is never sent)";
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolve(host);
  } catch {
    return `the host ${host} does not resolve; check the name`;
  }
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused !== undefined) {
    return `resolves to ${refused}, a private, loopback or otherwise non-public address; webhooks go to public addresses only (an operator can set WEBHOOK_ALLOW_PRIVATE=true)`;
  }
  return undefined;
}

async function defaultResolve(host: string): Promise<string[]> {
  const found = await Promise.race([
    lookup(host, { all: true, verbatim: true }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("DNS timeout")), 5_000).unref()),
  ]);
  return found.map((a) => a.address);
}
