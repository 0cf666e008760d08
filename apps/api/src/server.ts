// The production entry that `npm run build` bundles and `npm run start:api` runs. Tracing starts
// first (imports run in order), so the SDK exists before any module that makes requests loads;
// from the sources the same happens with `node --import @turnq/telemetry/register src/main.ts`.
import "@turnq/telemetry/register";
import "./main.ts";
