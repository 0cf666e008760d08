import { apiErrorOf, type TurnqApiError } from "./errors.ts";

export interface ClientOptions {
  /** Where the API is, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** A fetch of your own (a proxy, a test's); the global one by default. */
  fetch?: typeof fetch;
  /** Deadline of each plain request (not of streams or long-polls, which have their own), ms. Default 30 s. */
  timeoutMs?: number;
  /**
   * Told when the API refuses the key (401 unauthorized) of any call or stream, before that call
   * rejects with the same error: one place to ask for another key (the console does).
   */
  onUnauthorized?: (err: TurnqApiError) => void;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface Transport {
  /** A JSON request; resolves with the parsed answer, rejects with TurnqApiError on an error status. */
  json<T>(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs?: number }): Promise<T>;
  /** The raw answer of a request that succeeded (text bodies, streams). */
  raw(method: string, path: string, opts?: { headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs?: number | null }): Promise<Response>;
}

/**
 * One place that knows the base URL, the key and the deadlines; everything else builds on it. The key
 * travels in the Authorization header only. Requests carry no cookies or other ambient credentials
 * (`credentials: "omit"`: in a browser, a page's cookies for the API's origin are never sent) and
 * answers are not written to the browser's HTTP cache (`cache: "no-store"`: they hold conversations).
 */
export function createTransport(opts: ClientOptions): Transport {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const defaultTimeout = opts.timeoutMs ?? 30_000;
  const auth: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};

  async function raw(
    method: string,
    path: string,
    o: { body?: string; headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs?: number | null } = {},
  ): Promise<Response> {
    const timeout = o.timeoutMs === null ? undefined : o.timeoutMs ?? defaultTimeout;
    const signals = [o.signal, timeout === undefined ? undefined : AbortSignal.timeout(timeout)].filter((s): s is AbortSignal => s !== undefined);
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { accept: "application/json", ...auth, ...o.headers },
      credentials: "omit",
      cache: "no-store",
      ...(o.body === undefined ? {} : { body: o.body }),
      ...(signals.length ? { signal: AbortSignal.any(signals) } : {}),
    });
    if (res.ok) return res;
    const err = await apiErrorOf(res);
    if (err.status === 401) opts.onUnauthorized?.(err);
    throw err;
  }

  return {
    raw,
    async json<T>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined; timeoutMs?: number } = {}) {
      const res = await raw(method, path, {
        signal: o.signal,
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
        headers: { ...(o.body === undefined ? {} : { "content-type": "application/json" }), ...o.headers },
      });
      return (await res.json()) as T;
    },
  };
}

/** Path segments are ids the API handed out; encoding keeps a stray one from changing the path. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
