import { buildConsole } from "./bundle.ts";

// `npm run build -w @turnq/console` (and `npm run build`, `npm run dev`): writes dist/.
const started = performance.now();
const { files, bytes } = await buildConsole({
  srcDir: new URL("./src", import.meta.url).pathname,
  outDir: new URL("./dist", import.meta.url).pathname,
});
console.log(`console: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB in ${Math.round(performance.now() - started)} ms -> apps/console/dist`);
