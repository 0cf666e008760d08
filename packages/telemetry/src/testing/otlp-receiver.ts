import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

import { spansFromTraceRequest, type ReceivedSpan } from "./otlp-normalize.ts";
import { decodeTraceRequest } from "./otlp-proto.ts";

export type OtlpReceiver = {
  /** Base URL to use as OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:41234 */
  url: string;
  spans(): ReceivedSpan[];
  /** Every request body received (traces and metrics, decompressed), for "no secret leaked" checks. */
  rawBodies(): Buffer[];
  /** Resolves with all spans once `pred` holds for them; rejects after `timeoutMs` listing what came. */
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
};

export interface OtlpReceiverOptions {
  /**
   * Keep trace requests undecoded until spans() is called. For the bench, where the receiver shares
   * the machine with the system it measures: decoding every span as it arrives costs CPU that a
   * collector elsewhere would spend, and would be billed to tracing.
   */
  decodeLater?: boolean;
}

/**
 * A real OTLP/HTTP endpoint for tests: accepts `POST /v1/traces` as protobuf or JSON and keeps the
 * decoded spans in memory; `POST /v1/metrics` (and logs) are acknowledged and only kept raw.
 */
export async function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  const undecoded: { body: Buffer; json: boolean }[] = [];
  const waiters = new Set<() => void>();
  const decode = () => {
    for (const { body, json } of undecoded.splice(0)) {
      spans.push(...spansFromTraceRequest(json ? (JSON.parse(body.toString("utf8")) as unknown) : decodeTraceRequest(body)));
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => reply(res, 400, "text/plain", String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method !== "POST") return reply(res, 405, "text/plain", "POST only");
    const body = await readBody(req);
    bodies.push(body);
    const json = (req.headers["content-type"] ?? "").includes("json");
    if (path === "/v1/traces") {
      undecoded.push({ body, json });
      if (opts.decodeLater) return reply(res, 200, "application/x-protobuf", "");
      decode();
      for (const wake of [...waiters]) wake();
    } else if (path !== "/v1/metrics" && path !== "/v1/logs") {
      return reply(res, 404, "text/plain", "not an OTLP path");
    }
    // An empty Export*ServiceResponse: zero bytes in protobuf, `{}` in JSON.
    return json ? reply(res, 200, "application/json", "{}") : reply(res, 200, "application/x-protobuf", "");
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => {
      decode();
      return [...spans];
    },
    rawBodies: () => [...bodies],
    waitFor: (pred, timeoutMs = 10_000) =>
      new Promise<ReceivedSpan[]>((resolve, reject) => {
        const check = () => {
          if (!pred(spans)) return;
          cleanup();
          resolve([...spans]);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`OTLP receiver: condition not met within ${timeoutMs}ms; received spans: [${spans.map((s) => s.name).join(", ")}]`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(body);
}
