import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpGetTool, type HttpGetToolOptions } from "../src/index.ts";
import { callTool, watchClientSockets } from "./helpers.ts";

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function tool(opts: HttpGetToolOptions = {}) {
  const t = createHttpGetTool(opts);
  cleanup.push(() => t.close());
  return t;
}
const refusal = /refusing to connect to .*: private, loopback, link-local and other non-public addresses are not allowed/;

describe("http_get refuses non-public targets before connecting", () => {
  let sockets: ReturnType<typeof watchClientSockets>;
  beforeEach(() => {
    sockets = watchClientSockets();
    cleanup.push(() => {
      // The point of these tests: no socket was even created, so no packet left the machine.
      expect(sockets.count()).toBe(0);
      sockets.stop();
    });
  });

  const refuses = async (url: string, pattern: RegExp = refusal, opts: HttpGetToolOptions = {}) => {
    const r = await callTool(tool(opts), { url });
    expect(r.ok).toBe(false);
    expect(r.content).toMatch(pattern);
    return r;
  };

  it("refuses http://127.0.0.1", async () => {
    await refuses("http://127.0.0.1/");
  });

  it("refuses http://localhost, which resolves to loopback", async () => {
    await refuses("http://localhost/", /refusing to connect to localhost \((127\.0\.0\.1|::1)\)/);
  });

  it("refuses http://[::1]", async () => {
    await refuses("http://[::1]/");
  });

  it("refuses the cloud metadata endpoint http://169.254.169.254/latest/meta-data", async () => {
    await refuses("http://169.254.169.254/latest/meta-data");
  });

  it("refuses a private address http://10.0.0.1", async () => {
    await refuses("http://10.0.0.1/");
  });

  it("refuses IPv4-mapped IPv6 loopback http://[::ffff:127.0.0.1]", async () => {
    await refuses("http://[::ffff:127.0.0.1]/");
  });

  it("refuses file: URLs as invalid arguments", async () => {
    const r = await refuses("file:///etc/passwd", /only http and https URLs are allowed, not file/);
    expect(r.errorKind).toBe("invalid_arguments");
  });

  it("refuses ftp: URLs as invalid arguments", async () => {
    const r = await refuses("ftp://ftp.example.com/pub/file.txt", /only http and https URLs are allowed, not ftp/);
    expect(r.errorKind).toBe("invalid_arguments");
  });

  it("refuses URLs with embedded credentials", async () => {
    const r = await refuses("http://user:pass@example.com/", /URLs with embedded credentials are not allowed/);
    expect(r.errorKind).toBe("invalid_arguments");
    expect(r.content).not.toContain("pass");
  });

  it("refuses a public-looking hostname whose lookup resolves to 127.0.0.1", async () => {
    const looked: string[] = [];
    await refuses("http://api.example.com/data", /refusing to connect to api\.example\.com \(127\.0\.0\.1\)/, {
      lookup: async (host) => (looked.push(host), [{ address: "127.0.0.1", family: 4 }]),
    });
    expect(looked).toEqual(["api.example.com"]);
  });

  it("refuses a hostname that resolves to both a public and a private address", async () => {
    await refuses("http://mixed.example.com/", /\(10\.1\.2\.3\)/, {
      lookup: async () => [
        { address: "93.184.216.34", family: 4 },
        { address: "10.1.2.3", family: 4 },
      ],
    });
  });
});
