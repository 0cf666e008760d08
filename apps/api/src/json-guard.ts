import { limits, TurnqError, unstorableTextReason } from "@turnq/core";

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

/**
 * Refuses a parsed JSON body no route could validate or store: nesting deeper than `maxDepth` (zod
 * and JSON.stringify recurse, so deeper input would overflow the stack; `{}` is depth 1), or a string,
 * key or value, that Postgres cannot store. The walk keeps its own stack instead of recursing, so it
 * cannot overflow either; it visits each object and array once and checks strings with native scans.
 * Paths are built only when something is refused.
 */
export function assertStorableJson(value: unknown, maxDepth: number = limits.jsonDepth): void {
  if (typeof value === "string") return checkText(value, undefined, undefined);
  if (typeof value !== "object" || value === null) return;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const visit = (child: unknown, key: string | number) => {
      if (typeof child === "string") checkText(child, frame, key);
      else if (typeof child === "object" && child !== null) {
        const next: Frame = { value: child, depth: frame.depth + 1, parent: frame, key };
        if (next.depth > maxDepth) throw tooDeep(next, maxDepth);
        stack.push(next);
      }
    };
    if (Array.isArray(frame.value)) frame.value.forEach(visit);
    else {
      for (const key of Object.keys(frame.value)) {
        const reason = unstorableTextReason(key);
        if (reason) throw unsupported(`the key at ${pathOf(frame, key)}`, reason);
        visit((frame.value as Record<string, unknown>)[key], key);
      }
    }
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
