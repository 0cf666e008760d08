import type { ReceivedSpan } from "./otlp-normalize.ts";

export type SpanNode = { span: ReceivedSpan; children: SpanNode[] };

/**
 * Arranges spans into trees by parentSpanId, children ordered by start time. A span whose parent
 * was not received (e.g. the API's span when only the worker exported) becomes a root, so a broken
 * link shows up as an extra root in assertions instead of vanishing.
 */
export function buildTree(spans: readonly ReceivedSpan[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const span of spans) nodes.set(span.spanId, { span, children: [] });
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => compareNanos(a.span.startTimeUnixNano, b.span.startTimeUnixNano);
  const sort = (list: SpanNode[]): void => {
    list.sort(byStart);
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}

/** The tree as indented span names, one per line; handy in `expect(formatTree(...)).toBe(...)`. */
export function formatTree(roots: readonly SpanNode[], indent = ""): string {
  return roots.map((n) => [`${indent}${n.span.name}`, ...(n.children.length ? [formatTree(n.children, `${indent}  `)] : [])].join("\n")).join("\n");
}

function compareNanos(a: string, b: string): number {
  const x = BigInt(a || "0");
  const y = BigInt(b || "0");
  return x < y ? -1 : x > y ? 1 : 0;
}
