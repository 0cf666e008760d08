import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TurnqError } from "@turnq/core";
import { Hono, type Context } from "hono";
import type { AppEnv } from "../deps.ts";
import { header } from "../node-request.ts";

/**
 * The web console's policy: scripts and styles from this origin only (the build inlines nothing),
 * requests to this origin only, no frames, no plugins, no forms posting elsewhere.
 */
export const consoleCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = {
  "content-security-policy": consoleCsp,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const types: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", html: "text/html; charset=utf-8" };
/** Bundles are named by content hash (apps/console/bundle.ts): a name never changes its bytes. */
const assetName = /^[a-z-]+-[A-Z0-9]{8}\.(js|css)$/;

/**
 * GET /console: the console's built files from `dir` (apps/console/dist), read once and kept in
 * memory (a few tens of KiB). Hashed assets are cached for a year; the page itself is revalidated
 * by ETag, so a new build is picked up at the next load.
 */
export function consoleRoutes(opts: { dir: string }) {
  const files = new Map<string, Promise<{ body: Uint8Array<ArrayBuffer>; etag: string } | undefined>>();
  const load = (name: string) => {
    let f = files.get(name);
    if (!f) {
      f = readFile(join(opts.dir, name)).then(
        (body) => ({ body: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer), etag: `"${body.length.toString(36)}-${hash(body)}"` }),
        () => undefined,
      );
      // The page is re-read after a rebuild (dev); missing files are asked again next time.
      if (name !== "index.html") files.set(name, f);
    }
    return f;
  };
  const page = async (c: Context<AppEnv>) => {
    const f = await load("index.html");
    if (!f) throw new TurnqError("not_ready", "The console is not built; run `npm run build` (or `npm run dev`, which builds it) and reload.");
    if (header(c, "if-none-match") === f.etag) return c.body(null, 304, { etag: f.etag, ...securityHeaders });
    return c.body(f.body, 200, { "content-type": types.html!, "cache-control": "no-cache", etag: f.etag, ...securityHeaders });
  };
  return new Hono<AppEnv>()
    .get("/console", page)
    .get("/console/", page)
    .get("/console/assets/:name", async (c) => {
      const name = c.req.param("name");
      const f = assetName.test(name) ? await load(`assets/${name}`) : undefined;
      if (!f) throw new TurnqError("not_found", `No console asset ${name}; reload /console to get the current build.`);
      const ext = name.slice(name.lastIndexOf(".") + 1);
      return c.body(f.body, 200, { "content-type": types[ext]!, "cache-control": "public, max-age=31536000, immutable", etag: f.etag, ...securityHeaders });
    });
}

function hash(bytes: Uint8Array): string {
  // FNV-1a: an ETag only has to change when the page does.
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(36);
}
