import { limits, TurnqError, unstorableTextReason } from "@turnq/core";

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

/**
 * Refuses a parsed JSON body no route could validate or store: nesting deeper than `maxDepth` (zod
 * and JSON.stringify recurse, so deeper input would overflow the stack; `{}` is depth 1), a string,
 * key or value, that Postgres cannot store, or a `__proto__` key, which the schemas would silently
 * drop. The walk keeps its own stack instead of recursing, so it cannot overflow either; it visits
 * each object and array once and checks strings with native scans.
 * Paths are built only when something is refused.
 */
export function assertStorableJson(value: unknown, maxDepth: number = limits.jsonDepth): void {
  if (typeof value === "string") return checkText(value, undefined, undefined);
  if (typeof value !== "object" || value === null) return;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visit(v[i], i, frame, stack, maxDepth);
    } else {
      // JSON.parse makes plain objects: for-in sees exactly their own keys, without a keys array.
      for (const key in v) {
        const reason = unstorableTextReason(key);
        if (reason) throw unsupported(`the key at ${pathOf(frame, key)}`, reason);
        if (key === "__proto__") throw protoKey(pathOf(frame, key));
        visit((v as Record<string, unknown>)[key], key, frame, stack, maxDepth);
      }
    }
  }
}

function visit(child: unknown, key: string | number, frame: Frame, stack: Frame[], maxDepth: number): void {
  if (typeof child === "string") checkText(child, frame, key);
  else if (typeof child === "object" && child !== null) {
    const next: Frame = { value: child, depth: frame.depth + 1, parent: frame, key };
    if (next.depth > maxDepth) throw tooDeep(next, maxDepth);
    stack.push(next);
  }
}

function checkText(s: string, frame: Frame | undefined, key: string | number | undefined): void {
  const reason = unstorableTextReason(s);
  if (reason) throw unsupported(frame === undefined ? "the body" : pathOf(frame, key), reason);
}

/** `metadata.tags.3`: the dotted path the 422 errors of the schemas use too; "(body)" for the root. */
function pathOf(frame: Frame | undefined, key: string | number | undefined): string {
  const parts: (string | number)[] = key === undefined ? [] : [key];
  for (let f = frame; f?.key !== undefined; f = f.parent) parts.unshift(f.key);
  return parts.length === 0 ? "(body)" : parts.join(".");
}

function tooDeep(frame: Frame, maxDepth: number): TurnqError {
  const path = pathOf(frame.parent, frame.key);
  return new TurnqError("json_too_deep", `The body nests objects and arrays more than ${maxDepth} levels deep (at ${path}); flatten it.`, {
    details: { maxDepth, path },
  });
}

function unsupported(where: string, reason: string): TurnqError {
  return new TurnqError("unsupported_character", `Text in ${where} ${reason}; remove or replace that character.`, {
    details: { path: where.replace(/^the key at /, "") },
  });
}

function protoKey(path: string): TurnqError {
  return new TurnqError("validation_failed", `The key __proto__ (at ${path}) would be dropped, not stored; rename it.`, {
    details: { errors: [{ path, message: "__proto__ is not accepted as a key" }] },
  });
}
