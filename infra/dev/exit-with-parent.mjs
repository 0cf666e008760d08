/**
 * Loaded into every child of `npm run dev` (node --import) before the app. The runner holds the
 * other end of the child's stdin; when the runner is gone for any reason, SIGKILL and crashes
 * included, stdin ends and the child shuts down as on SIGTERM, so no orphan keeps taking turns from
 * the shared queue. Unref'd: it never keeps a child alive by itself. The test and bench helpers
 * (test/support/processes.ts) load it into their children too. Plain JavaScript on purpose: importing
 * a .ts file would load Node's type stripper into a production bundle's process and add to the RSS
 * the bench measures.
 */
process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
process.stdin.on("error", () => process.kill(process.pid, "SIGTERM"));
process.stdin.resume();
process.stdin.unref();
