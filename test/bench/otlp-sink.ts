/**
 * The OTLP endpoint of the tracing comparison, as a process of its own: `node test/bench/otlp-sink.ts`
 * prints `otlp-sink <url>`, and on SIGTERM `otlp-sink spans <n> traces <n> services <a,b>` before exiting.
 * Decoding every span costs CPU; on this machine it would slow the system under test and be billed
 * to tracing, where in production a collector runs elsewhere. So the sink is a process of its own
 * that only keeps the request bodies while turns run, and decodes them once it is told to stop.
 * Used through startOtlpSink() below.
 */
import { startOtlpReceiver } from "@turnq/telemetry/testing";
import { startProcess } from "../support/processes.ts";

export interface OtlpSink {
  url: string;
  /** Stops the sink and returns how many spans (in how many traces) it received, from which services. */
  stop(): Promise<{ spans: number; traces: number; services: string[] }>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const child = startProcess("otlp-sink", "test/bench/otlp-sink.ts", {});
  const url = (await child.waitForLine(/^otlp-sink http/)).split(" ")[1]!;
  return {
    url,
    async stop() {
      await child.stop("SIGTERM");
      const m = /^otlp-sink spans (\d+) traces (\d+) services (.*)$/m.exec(child.output());
      if (!m) throw new Error(`otlp-sink printed no span count:\n${child.output().slice(-2000)}`);
      return { spans: Number(m[1]), traces: Number(m[2]), services: m[3]!.split(",").filter(Boolean) };
    },
  };
}

if (import.meta.main) {
  const receiver = await startOtlpReceiver({ decodeLater: true });
  process.stdout.write(`otlp-sink ${receiver.url}\n`);
  process.once("SIGTERM", async () => {
    const spans = receiver.spans();
    const services = [...new Set(spans.map((s) => s.serviceName))];
    const traces = new Set(spans.map((s) => s.traceId)).size;
    process.stdout.write(`otlp-sink spans ${spans.length} traces ${traces} services ${services.sort().join(",")}\n`);
    await receiver.close();
  });
}
