import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { build, stop } from "esbuild";

/**
 * Bundles the console into `outDir`: one script and one stylesheet named by their content hash
 * (served as immutable), and an index.html that names them (served uncached). No inline script or
 * style anywhere, so the page runs under a CSP of `script-src 'self'; style-src 'self'`. Stops
 * esbuild's service process afterwards: a dev runner or a test must not keep it alive.
 */
export async function buildConsole(opts: { srcDir: string; outDir: string; minify?: boolean }): Promise<{ files: string[]; bytes: number }> {
  await rm(opts.outDir, { recursive: true, force: true });
  const assets = join(opts.outDir, "assets");
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(opts.srcDir, "main.tsx"), join(opts.srcDir, "styles.css")],
    outdir: assets,
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: opts.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  }).finally(() => stop());
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.startsWith("main-") && f.endsWith(".js"));
  const style = outputs.find((f) => f.startsWith("styles-") && f.endsWith(".css"));
  if (!script || !style) throw new Error(`console build produced ${outputs.join(", ")}; expected main-*.js and styles-*.css`);
  await writeFile(
    join(opts.outDir, "index.html"),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>turnq console</title>
<link rel="stylesheet" href="/console/assets/${style}">
<script type="module" src="/console/assets/${script}"></script>
</head>
<body><div id="app"></div></body>
</html>
`,
  );
  const files = await readdir(assets);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { files: ["index.html", ...files.map((f) => `assets/${f}`)], bytes };
}
