import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { AttemptCounter } from "./attempts.ts";
import { handleCompletion, type CompletionContext } from "./completion.ts";
import { anthropicDialect, openAiDialect } from "./dialects.ts";
import { sendJson, sendText } from "./http-io.ts";
import { openAiErrorBody } from "./openai.ts";
import { resolveOptions } from "./options.ts";
import { RequestLog } from "./request-log.ts";
import type { Timeline } from "./timeline.ts";
import type { Simulator, SimulatorOptions } from "./types.ts";

export const SIMULATED_MODEL = "turnq-sim";

/** Starts an OpenAI- and Anthropic-compatible completion server on a loopback port. */
export async function startSimulator(opts?: SimulatorOptions): Promise<Simulator> {
  const options = resolveOptions(opts);
  const ctx: CompletionContext = {
    options,
    log: new RequestLog(options.recordLimit),
    attempts: new AttemptCounter(),
    timelines: new Set<Timeline>(),
  };
  const sockets = new Set<Socket>();
  let connections = 0;
  let inFlight = 0;
  // Resolved once no response is open; `close()` waits for it so records are final when it resolves.
  const idleWaiters: (() => void)[] = [];

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) {
        for (const wake of idleWaiters.splice(0)) wake();
      }
    });
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const unexpected = (err: unknown): void => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, openAiErrorBody(500, `Simulator bug: ${String(err)}`));
    };
    if (req.method === "POST" && path === "/v1/chat/completions") {
      handleCompletion(req, res, path, openAiDialect, ctx).catch(unexpected);
    } else if (req.method === "POST" && path === "/v1/messages") {
      handleCompletion(req, res, path, anthropicDialect, ctx).catch(unexpected);
    } else if (req.method === "GET" && path === "/v1/models") {
      if (options.apiKey !== undefined && !openAiDialect.authorized(req.headers, options.apiKey)) {
        sendJson(res, 401, openAiErrorBody(401, "Invalid or missing API key"));
      } else {
        sendJson(res, 200, { object: "list", data: [{ id: SIMULATED_MODEL, object: "model", created: 0, owned_by: "turnq" }] });
      }
    } else if (req.method === "GET" && path === "/healthz") {
      sendText(res, 200, "ok");
    } else {
      sendJson(res, 404, openAiErrorBody(404, `No route for ${req.method ?? "?"} ${path}`));
    }
  };

  const server = createServer(route);
  // Longer than typical client pools' idle timeouts, so the client, not us, retires idle sockets.
  server.keepAliveTimeout = 65_000;
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = options.host.includes(":") ? `[${options.host}]` : options.host;
  const origin = `http://${hostPart}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/v1`,
    origin,
    port,
    requests: ctx.log.entries,
    connectionsAccepted: () => connections,
    inFlight: () => inFlight,
    reset: () => {
      ctx.log.clear();
      ctx.attempts.clear();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timeline of ctx.timelines) timeline.cancel();
        ctx.timelines.clear();
        server.close(() => {
          if (inFlight === 0) resolve();
          else idleWaiters.push(resolve);
        });
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
