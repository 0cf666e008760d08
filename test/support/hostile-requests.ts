import { builtinToolNames } from "@turnq/core";
import fc from "fast-check";

/**
 * fast-check generators of requests a hostile or broken client might send to the API: every route,
 * with ids, query strings, headers and bodies drawn from near-valid values and from garbage (deep
 * nesting, NUL and unpaired surrogates, raw bytes, huge headers, numbers out of every range).
 */

export interface Fixtures {
  session: string;
  turn: string;
  agent: string;
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz".split("");
const prefixes = ["ses", "turn", "agt", "msg"];

/** Mostly visible ASCII, some of any code point, and now and then what Postgres cannot store. */
const hostileUnit = fc.oneof(
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 12 },
  { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), weight: 3 },
  { arbitrary: fc.constantFrom("\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "\u2026", "\\", '"', "\u{1f600}"), weight: 1 },
);
const plain = fc.string({ unit: "grapheme-ascii", maxLength: 24 });
/** Text with one character Postgres cannot store somewhere in it. */
const unstorable = fc
  .tuple(plain, fc.constantFrom("\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"), plain)
  .map(([a, bad, b]) => a + bad + b);
/** Plain text more often than not, so requests also get past the character check to what follows it. */
const text = fc.oneof(
  { arbitrary: plain, weight: 3 },
  { arbitrary: unstorable, weight: 1 },
  { arbitrary: fc.string({ unit: hostileUnit, maxLength: 24 }), weight: 1 },
);
const json = fc.jsonValue({ maxDepth: 4, stringUnit: hostileUnit });
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 63, 1e308, -1e308),
  text,
);

/** `[[[…1…]]]`: nesting as JSON text, built without recursion. */
const nested = (levels: number) => "[".repeat(levels) + "1" + "]".repeat(levels);

/** Percent-encodes every byte, so any byte sequence (invalid UTF-8, NUL, `/`) reaches the server decoded. */
const percentEncoded = fc.uint8Array({ maxLength: 30 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0")}`).join(""));

function idSegment(real: string): fc.Arbitrary<string> {
  const wellFormed = fc
    .tuple(fc.constantFrom(...prefixes), fc.array(fc.constantFrom(...idAlphabet), { minLength: 26, maxLength: 26 }))
    .map(([p, chars]) => `${p}_${chars.join("")}`);
  return fc.oneof(
    { arbitrary: fc.constant(real), weight: 4 },
    { arbitrary: wellFormed, weight: 2 },
    { arbitrary: percentEncoded, weight: 1 },
    { arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 40 }).map(encodeURIComponent), weight: 1 },
    { arbitrary: fc.constantFrom("", "%", "%zz", "%00", "%ed%a0%80", `${real}%00`, real.toUpperCase(), `${real}x`), weight: 1 },
  );
}

function query(keys: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.nat().map(String),
    fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
    fc.integer().map(String),
    fc.constantFrom("", "-1", "1e3", "0x10", "NaN", "18446744073709551616-0", "1-0~9007199254740993", "1-0~1"),
    percentEncoded,
  );
  return fc
    .array(fc.tuple(fc.constantFrom(...keys, "x"), value), { maxLength: 3 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`));
}

/** What fetch can send in a header: latin1 without CR, LF or NUL. */
const headerText = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});
const visibleAscii = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 300 });
const eventId = fc
  .tuple(fc.bigInt({ min: 0n, max: 2n ** 66n }), fc.bigInt({ min: 0n, max: 2n ** 66n }), fc.option(fc.bigInt({ min: 0n, max: 2n ** 60n })))
  .map(([a, b, s]) => `${a}-${b}${s === null ? "" : `~${s}`}`);

const headers = fc
  .record(
    {
      "content-type": fc.oneof(
        { arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "application/merge-patch+json"), weight: 12 },
        { arbitrary: fc.constantFrom("text/plain", "multipart/form-data; boundary=x", ""), weight: 1 },
        { arbitrary: headerText, weight: 1 },
      ),
      // A few fixed keys, so replays and reuse with another body happen too.
      "idempotency-key": fc.oneof(fc.constantFrom("key-1", "key-2"), visibleAscii, headerText),
      // Long waits would only make the run slow (no worker finishes these turns); any other text is fair.
      prefer: fc.oneof(fc.constantFrom("wait=0", "wait=1", "wait=-1", "wait=abc", "respond-async", "wait=0, handling=strict"), headerText.filter((s) => !/wait/i.test(s))),
      "last-event-id": fc.oneof(eventId, headerText),
      traceparent: fc.oneof(
        fc.tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-f]{16}$/)).map(([t, s]) => `00-${t}-${s}-01`),
        headerText,
      ),
      "x-filler": fc.oneof({ arbitrary: headerText, weight: 30 }, { arbitrary: fc.constant("f".repeat(20_000)), weight: 1 }),
    },
    { requiredKeys: [] },
  )
  .map((h) => ({ "content-type": "application/json", ...h }) as Record<string, string>);

const schemaLike = fc.record(
  {
    type: fc.constantFrom("object", "object", "string", "strin", 3),
    properties: fc.dictionary(
      text,
      fc.record(
        {
          type: fc.constantFrom("string", "integer", "array", "object", "x"),
          pattern: fc.constantFrom("^a", "(", "[", "\\p{L}", "a{2,1}"),
          minimum: number,
          $ref: fc.constantFrom("#", "#/$defs/a", "#/$defs/none", "http://example.com/s", "#/properties"),
        },
        { requiredKeys: [] },
      ),
      { maxKeys: 3 },
    ),
    required: fc.array(text, { maxLength: 2 }),
    $schema: fc.constantFrom("https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema#", "x"),
    $id: fc.constantFrom("https://json-schema.org/draft/2020-12/schema", "urn:a", "a"),
    additionalProperties: fc.oneof(fc.boolean(), json),
    $defs: fc.constant({ a: { type: "string" } }),
  },
  { requiredKeys: [] },
);

const httpTool = fc.record(
  {
    name: fc.oneof(fc.constantFrom("weather", "w_2", "current_time"), text),
    description: fc.oneof(fc.constant("d"), text),
    url: fc.oneof(fc.constantFrom("https://example.com/x", "http://example.com", "ftp://x", "https://u:p@x.com/", "not a url", "http://[::1]:99999/"), text),
    parameters: fc.oneof({ arbitrary: schemaLike, weight: 3 }, { arbitrary: json, weight: 1 }),
    headers: fc.dictionary(fc.oneof(fc.constantFrom("authorization", "Host", "x-key", "content-length"), text), fc.oneof(fc.constant("Bearer t"), text), { maxKeys: 3 }),
    timeoutMs: number,
    parallelSafe: fc.oneof(fc.boolean(), json),
    idempotent: fc.boolean(),
  },
  { requiredKeys: ["name", "description", "url"] },
);

const hostileAgent = fc.record(
  {
    name: fc.oneof(fc.constant("agent"), text),
    model: text,
    summaryModel: text,
    systemPrompt: text,
    tools: fc.array(fc.oneof(fc.constantFrom(...builtinToolNames), text), { maxLength: 3 }),
    httpTools: fc.array(httpTool, { maxLength: 2 }),
    limits: fc.record({ maxIterations: number, maxToolCalls: number, turnDeadlineMs: number, maxOutputTokens: number }, { requiredKeys: [] }),
  },
  { requiredKeys: ["name"] },
);

/** Valid but for the parameter schema and what the unique-name rule catches: reaches Ajv and the store. */
const plausibleAgent = fc.record(
  {
    name: fc.oneof({ arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }), weight: 3 }, { arbitrary: unstorable, weight: 1 }),
    systemPrompt: fc.oneof({ arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }), weight: 3 }, { arbitrary: unstorable, weight: 1 }),
    tools: fc.subarray([...builtinToolNames]),
    httpTools: fc.array(
      fc.record({
        name: fc.constantFrom("weather", "stock", "w_2"),
        description: fc.constant("A tool"),
        url: fc.constantFrom("https://example.com/x", "http://10.0.0.1:8080/hook"),
        parameters: schemaLike,
        headers: fc.dictionary(fc.constantFrom("authorization", "x-api-key"), fc.string({ unit: "grapheme-ascii", maxLength: 30 }), { maxKeys: 2 }),
      }),
      { maxLength: 2 },
    ),
    limits: fc.record({ maxIterations: fc.integer({ min: 1, max: 100 }), turnDeadlineMs: fc.integer({ min: 1_000, max: 3_600_000 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ["name"] },
);

/** Agent definitions, plausible and hostile (also used to check the API's and the worker's rules agree). */
export const agentBody = fc.oneof(plausibleAgent, hostileAgent);

function sessionBody(fx: Fixtures) {
  return fc.record(
    {
      metadata: fc.oneof(
        fc.dictionary(fc.oneof(fc.string({ unit: "grapheme", maxLength: 10 }), unstorable, fc.constant("__proto__")), fc.oneof(fc.jsonValue({ maxDepth: 3 }), unstorable), { maxKeys: 4 }),
        fc.dictionary(text, json, { maxKeys: 4 }),
        json,
      ),
      agentId: fc.oneof(fc.constant(fx.agent), text),
      tokenBudget: fc.oneof(fc.integer({ min: 1 }), number),
    },
    { requiredKeys: [] },
  );
}

const turnBody = fc.record(
  {
    input: fc.oneof(
      { arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), weight: 3 },
      { arbitrary: unstorable, weight: 1 },
      { arbitrary: text, weight: 1 },
      { arbitrary: json, weight: 1 },
    ),
    onBusy: fc.oneof(fc.constantFrom("enqueue", "reject", "interrupt"), text),
  },
  { requiredKeys: ["input"] },
);

/** A body for a route: mostly its own shape with hostile values, else any JSON, deep JSON or raw bytes. */
function body(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer | undefined> {
  return fc.oneof(
    { arbitrary: shaped.map((v) => Buffer.from(JSON.stringify(v))), weight: 12 },
    { arbitrary: json.map((v) => Buffer.from(JSON.stringify(v) ?? "null")), weight: 2 },
    // From just over the bound to deep enough to overflow any recursive validator.
    { arbitrary: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 10_000, max: 50_000 })).map((n) => Buffer.from(`{"metadata":{"a":${nested(n)}},"input":${nested(n)}}`)), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/** Any request to any route of the API (and a few that match none). */
export function hostileRequest(fx: Fixtures): fc.Arbitrary<HostileRequest> {
  const ses = idSegment(fx.session);
  const turn = idSegment(fx.turn);
  const agt = idSegment(fx.agent);
  const routes: fc.Arbitrary<{ method: string; path: string; body?: Buffer | undefined }>[] = [
    body(sessionBody(fx)).map((b) => ({ method: "POST", path: "/v1/sessions", body: b })),
    ses.map((s) => ({ method: "GET", path: `/v1/sessions/${s}` })),
    fc.tuple(ses, body(turnBody)).map(([s, b]) => ({ method: "POST", path: `/v1/sessions/${s}/turns`, body: b })),
    turn.map((t) => ({ method: "GET", path: `/v1/turns/${t}` })),
    fc.tuple(ses, query(["after", "limit"])).map(([s, q]) => ({ method: "GET", path: `/v1/sessions/${s}/messages${q}` })),
    body(agentBody).map((b) => ({ method: "POST", path: "/v1/agents", body: b })),
    fc.tuple(agt, body(agentBody)).map(([a, b]) => ({ method: "PUT", path: `/v1/agents/${a}`, body: b })),
    fc.tuple(agt, query(["version"])).map(([a, q]) => ({ method: "GET", path: `/v1/agents/${a}${q}` })),
    turn.map((t) => ({ method: "POST", path: `/v1/turns/${t}/cancel` })),
    fc.tuple(ses, query(["after"])).map(([s, q]) => ({ method: "GET", path: `/v1/sessions/${s}/events${q}` })),
    fc.tuple(turn, query(["after"])).map(([t, q]) => ({ method: "GET", path: `/v1/turns/${t}/events${q}` })),
    fc.constantFrom("/healthz", "/readyz", "/metrics", "/", "/v1", "/v1/sessions/", "//v1/sessions", "/v1/agents").map((p) => ({ method: "GET", path: p })),
  ];
  return fc
    .record({
      route: fc.oneof(...routes),
      headers,
      // Now and then the right path with the wrong method.
      method: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 8 },
        { arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"), weight: 1 },
      ),
    })
    .map(({ route, headers, method }) => {
      const m = method ?? route.method;
      // fetch cannot send a body with GET or HEAD.
      const b = m === "GET" || m === "HEAD" ? undefined : route.body;
      return { method: m, path: route.path, headers, ...(b === undefined ? {} : { body: b }) };
    });
}

/** Bytes other than CR and LF, so the generated request keeps the framing it was built with. */
const lineBytes = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((b) => Buffer.from(b.filter((x) => x !== 13 && x !== 10)).toString("latin1"));

/**
 * Raw HTTP/1.x requests no client library would send: arbitrary methods, targets, versions, header
 * names and values. Always `Connection: close`, so every answer ends with the connection.
 */
export const rawHostileRequest: fc.Arbitrary<string> = fc
  .record({
    host: fc.oneof({ arbitrary: fc.constant("Host: x\r\n"), weight: 3 }, { arbitrary: fc.constant(""), weight: 1 }),
    method: fc.oneof(
      { arbitrary: fc.constantFrom("GET", "POST", "PUT", "HEAD", "OPTIONS"), weight: 4 },
      { arbitrary: fc.constantFrom("BREW", "CONNECT", "G\x00T", "get", ""), weight: 1 },
      { arbitrary: lineBytes(8), weight: 1 },
    ),
    target: fc.oneof(
      { arbitrary: fc.constantFrom("/", "/healthz", "/v1/sessions", "/v1/agents", "*", "http://x/healthz", "/\\", "/%zz", "/a b"), weight: 3 },
      { arbitrary: lineBytes(40).map((s) => `/${s}`), weight: 1 },
    ),
    version: fc.oneof(
      { arbitrary: fc.constantFrom("HTTP/1.1", "HTTP/1.0"), weight: 4 },
      { arbitrary: fc.constantFrom("HTTP/2.0", "HTTP/1.1 x", "", "http/1.1", "HTTP/9"), weight: 1 },
    ),
    headers: fc.array(
      fc.tuple(
        fc.oneof(
          { arbitrary: fc.constantFrom("Content-Length", "Transfer-Encoding", "Expect", "Content-Type", "Upgrade", "Host"), weight: 3 },
          { arbitrary: fc.stringMatching(/^[A-Za-z-]{1,12}$/), weight: 3 },
          { arbitrary: lineBytes(12), weight: 1 },
        ),
        fc.oneof(
          { arbitrary: fc.constantFrom("x", "5", "0", "-1", "chunked", "gzip, chunked", "100-continue", "application/json", "websocket"), weight: 3 },
          { arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 40 }), weight: 3 },
          { arbitrary: lineBytes(40), weight: 1 },
        ),
      ),
      { maxLength: 4 },
    ),
    body: lineBytes(60),
  })
  .map(
    ({ host, method, target, version, headers, body }) =>
      `${method} ${target} ${version}\r\n${host}${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}Connection: close\r\n\r\n${body}`,
  );
