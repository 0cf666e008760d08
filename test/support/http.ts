import { Agent, request } from "node:http";
import { buildOpenApiDocument } from "@turnq/contract";
import { OpenApiChecker } from "./openapi-check.ts";

/**
 * Every answer these helpers get from a documented /v1 operation is checked against the OpenAPI
 * document (the one GET /openapi.json serves), so every e2e test also tests the document. (Only
 * /v1: workers serve /healthz and /readyz of their own, with other bodies.)
 */
let checker: OpenApiChecker | undefined;

/**
 * Small JSON helpers over real HTTP, through one bounded connection pool. A test that fires a
 * thousand requests at once must not open a thousand connections at once: the API's listen queue
 * holds 511 (Node's default backlog), and while its event loop is busy the kernel overflows it and
 * resets connections ("read ECONNRESET" in ordering.test.ts on a loaded machine; nstat showed
 * ListenOverflows). 256 sockets stay below it; more requests wait for a free socket.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * The API key sent to each API (by origin) when a request names none: test/support/system.ts
 * registers its tenant's key, so tests stay as short as before auth. A request that sets its own
 * `authorization` header sends that instead.
 */
const keyByOrigin = new Map<string, string>();

export function useApiKey(base: string, key: string): void {
  keyByOrigin.set(new URL(base).origin, key);
}

/** `headers` plus the API's registered key, unless they carry an authorization header already. */
export function withApiKey(url: string, headers: Record<string, string> = {}): Record<string, string> {
  if (Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) return headers;
  const key = keyByOrigin.get(new URL(url).origin);
  return key === undefined ? headers : { ...headers, authorization: `Bearer ${key}` };
}

/**
 * A request written on a kept-alive socket just as the server closed it for being idle (its 5 s
 * keepAliveTimeout, while a loaded event loop had not yet told the client) is reset before the
 * server read a byte of it (the kernel counts TCPAbortOnData), so sending it again on another socket
 * is safe, even a POST: Node's documentation of `request.reusedSocket` gives the same advice.
 */
async function send(method: string, url: string, body: string | undefined, headers: Record<string, string>) {
  headers = withApiKey(url, headers);
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendOnce(method, url, body, headers);
    } catch (err) {
      if (!(err as { resetOnReusedSocket?: boolean }).resetOnReusedSocket || attempt >= 3) throw err;
    }
  }
}

function sendOnce(method: string, url: string, body: string | undefined, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Headers; body: any }>((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: body stays null, as with fetch's res.json().catch(() => null).
        }
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(", ") : v);
        try {
          checker ??= new OpenApiChecker(buildOpenApiDocument());
          if (new URL(url).pathname.startsWith("/v1/")) checker.checkIfDocumented(method, url, res.statusCode!, out.get("content-type"), parsed);
        } catch (err) {
          return reject(err);
        }
        resolve({ status: res.statusCode!, headers: out, body: parsed as any });
      });
    });
    req.on("error", (err: Error & { code?: string }) =>
      reject(req.reusedSocket && err.code === "ECONNRESET" ? Object.assign(err, { resetOnReusedSocket: true }) : err),
    );
    req.end(body);
  });
}

export function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return send("POST", base + path, typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json", ...headers });
}

export function get(base: string, path: string, headers: Record<string, string> = {}) {
  return send("GET", base + path, undefined, headers);
}

export async function createSession(base: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await post(base, "/v1/sessions", {}, headers);
  if (r.status !== 201) throw new Error(`create session: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** Polls the turn with Prefer: wait until it is terminal. */
export async function waitTurn(base: string, turnId: string, seconds = 60, headers: Record<string, string> = {}) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await get(base, `/v1/turns/${turnId}`, { prefer: "wait=10", ...headers });
    if (["completed", "failed", "cancelled"].includes(r.body?.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`turn ${turnId} not terminal after ${seconds}s: ${JSON.stringify(r.body)}`);
  }
}

export function patch(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return send("PATCH", base + path, JSON.stringify(body), { "content-type": "application/json", ...headers });
}

export function del(base: string, path: string, headers: Record<string, string> = {}) {
  return send("DELETE", base + path, undefined, headers);
}
