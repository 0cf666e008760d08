/** One span as received by the test OTLP receiver, flattened for assertions. */
export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer (not the API enum). */
  kind: number;
  serviceName: string;
  resource: Record<string, AttributeValue>;
  scopeName: string;
  attributes: Record<string, AttributeValue>;
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, AttributeValue> }[];
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
};

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

type Obj = Record<string, unknown>;

/** Flattens a decoded ExportTraceServiceRequest (protobuf-decoded or OTLP/JSON) into spans. */
export function spansFromTraceRequest(request: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list(field(request, "resourceSpans"))) {
    const resource = attributesOf(field(field(rs, "resource"), "attributes"));
    const serviceName = typeof resource["service.name"] === "string" ? resource["service.name"] : "";
    for (const ss of list(field(rs, "scopeSpans"))) {
      const scopeName = String(field(field(ss, "scope"), "name") ?? "");
      for (const span of list(field(ss, "spans"))) {
        out.push({
          traceId: hexId(field(span, "traceId")),
          spanId: hexId(field(span, "spanId")),
          parentSpanId: hexId(field(span, "parentSpanId")),
          name: String(field(span, "name") ?? ""),
          kind: Number(field(span, "kind") ?? 0),
          serviceName,
          resource,
          scopeName,
          attributes: attributesOf(field(span, "attributes")),
          events: list(field(span, "events")).map((e) => ({ name: String(field(e, "name") ?? ""), attributes: attributesOf(field(e, "attributes")) })),
          links: list(field(span, "links")).map((l) => ({
            traceId: hexId(field(l, "traceId")),
            spanId: hexId(field(l, "spanId")),
            attributes: attributesOf(field(l, "attributes")),
          })),
          startTimeUnixNano: String(field(span, "startTimeUnixNano") ?? "0"),
          endTimeUnixNano: String(field(span, "endTimeUnixNano") ?? "0"),
          status: {
            code: Number(field(field(span, "status"), "code") ?? 0),
            message: String(field(field(span, "status"), "message") ?? ""),
          },
        });
      }
    }
  }
  return out;
}

function attributesOf(keyValues: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list(keyValues)) out[String(field(kv, "key"))] = anyValue(field(kv, "value"));
  return out;
}

/** OTLP AnyValue -> plain JS. 64-bit ints become numbers: fine for the counts tests look at. */
function anyValue(value: unknown): AttributeValue {
  if (!isObj(value)) return null;
  if (value.stringValue != null) return String(value.stringValue);
  if (value.boolValue != null) return Boolean(value.boolValue);
  if (value.intValue != null) return Number(value.intValue);
  if (value.doubleValue != null) return Number(value.doubleValue);
  if (value.arrayValue != null) return list(field(value.arrayValue, "values")).map(anyValue);
  if (value.kvlistValue != null) return attributesOf(field(value.kvlistValue, "values"));
  if (value.bytesValue != null) return hexId(value.bytesValue);
  return null;
}

/** Ids are bytes in protobuf and hex strings in OTLP/JSON; both end up lower-case hex. */
function hexId(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return typeof value === "string" ? value.toLowerCase() : "";
}

function field(value: unknown, key: string): unknown {
  return isObj(value) ? value[key] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null;
}
