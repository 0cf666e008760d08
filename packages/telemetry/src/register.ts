/**
 * Preload entry: `node --import @turnq/telemetry/register apps/x/src/main.ts`.
 * Runs before the app's modules load so the global tracer/meter providers and the undici
 * diagnostics-channel subscription exist before anything makes a request. Starting the SDK is this
 * module's whole purpose, hence the side effect at import time (the only one in the package).
 * Apps call `shutdownTelemetry()` from `@turnq/telemetry` last on SIGTERM.
 */
import { startTelemetry } from "./sdk.ts";

startTelemetry({ env: process.env });
