#!/usr/bin/env node
// `npx turnq …` from the checkout: Node 24 runs this TypeScript directly (type stripping).
import { main } from "../src/cli/main.ts";

const abort = new AbortController();
// First Ctrl-C stops what is running (a tail, a send's stream) and exits; the turn itself goes on.
process.once("SIGINT", () => abort.abort(new Error("interrupted")));
process.exitCode = await main(
  process.argv.slice(2),
  process.env,
  { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), tty: process.stderr.isTTY === true },
  abort.signal,
);
