import { describe, expect, it } from "vitest";
import { webhookUrlProblem } from "../src/webhook-url.ts";

/** Names resolved by a table instead of DNS, so a public-looking name can point anywhere. */
const resolveFrom = (table: Record<string, string[]>) => async (host: string) => {
  const found = table[host];
  if (!found) throw new Error("ENOTFOUND");
  return found;
};

describe("webhook URLs", () => {
  it("refuses loopback, private, link-local and metadata addresses, as literals and behind names", async () => {
    const resolve = resolveFrom({ "hooks.example.com": ["93.184.215.14", "10.0.0.7"], "rebind.example.com": ["169.254.169.254"] });
    for (const url of [
      "http://127.0.0.1:4000/x",
      "http://[::1]/x",
      "http://10.1.2.3/x",
      "http://192.168.1.1/x",
      "http://169.254.169.254/latest/meta-data",
      "http://[::ffff:127.0.0.1]/x",
      "https://hooks.example.com/x",
      "https://rebind.example.com/x",
    ]) {
      expect(await webhookUrlProblem(url, false, resolve), url).toMatch(/non-public address.*WEBHOOK_ALLOW_PRIVATE=true/);
    }
    // Through the system's resolver too.
    expect(await webhookUrlProblem("http://localhost:4000/x", false)).toMatch(/non-public address/);
  });

  it("accepts public addresses, and private ones when the operator allows them", async () => {
    const resolve = resolveFrom({ "hooks.example.com": ["93.184.215.14"] });
    expect(await webhookUrlProblem("https://hooks.example.com/turnq", false, resolve)).toBeUndefined();
    expect(await webhookUrlProblem("https://93.184.215.14/turnq", false, resolve)).toBeUndefined();
    expect(await webhookUrlProblem("http://127.0.0.1:4000/x", true, resolve)).toBeUndefined();
  });

  it("refuses what is not an http(s) URL without credentials, and names that do not resolve", async () => {
    const resolve = resolveFrom({});
    expect(await webhookUrlProblem("ftp://example.com/x", true, resolve)).toMatch(/only http and https/);
    expect(await webhookUrlProblem("https://u:p@example.com/x", true, resolve)).toMatch(/credentials/);
    expect(await webhookUrlProblem("https://example.com/x#frag", true, resolve)).toMatch(/fragment/);
    expect(await webhookUrlProblem("example.com/x", true, resolve)).toMatch(/absolute URL/);
    expect(await webhookUrlProblem("https://nowhere.invalid/x", false, resolve)).toMatch(/does not resolve/);
  });
});
