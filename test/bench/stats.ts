/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** One decimal, as the bench prints every figure. */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function summary(values: readonly number[]): { p50: number; p99: number } {
  return { p50: round1(percentile(values, 50)), p99: round1(percentile(values, 99)) };
}
