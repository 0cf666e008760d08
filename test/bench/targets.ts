/**
 * Figures that have a target (issue #8) are printed as `{"value": 0.74, "target": ">= 0.7", "met": true}`.
 * `value` is the rounded figure as printed, and `met` compares exactly that; a figure that could not
 * be computed (a ratio without a `reference` run, a window with no turns) is `value: null, met: null`.
 * A target not met is a finding, not a failure: it never changes the bench's exit code.
 */
export interface Goal {
  value: number | null;
  target: string;
  met: boolean | null;
}

export function atLeast(value: number | null | undefined, min: number): Goal {
  const v = finite(value);
  return { value: v, target: `>= ${min}`, met: v === null ? null : v >= min };
}

export function atMost(value: number | null | undefined, max: number): Goal {
  const v = finite(value);
  return { value: v, target: `<= ${max}`, met: v === null ? null : v <= max };
}

export function exactly(value: number | null | undefined, want: number): Goal {
  const v = finite(value);
  return { value: v, target: `= ${want}`, met: v === null ? null : v === want };
}

/** a / b to two decimals, or null when either side is missing (e.g. `reference` not selected). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

/** "met of total" over every Goal anywhere in a part's result, e.g. "3 of 7" (unknown ones count as not met). */
export function targetsMet(result: unknown): string {
  let met = 0;
  let total = 0;
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== "object") return;
    if (isGoal(x)) {
      total++;
      if (x.met === true) met++;
      return;
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(result);
  return `${met} of ${total}`;
}

function isGoal(x: object): x is Goal {
  return "target" in x && "met" in x && "value" in x;
}

function finite(v: number | null | undefined): number | null {
  return v == null || !Number.isFinite(v) ? null : v;
}
