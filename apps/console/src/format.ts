/** Small display helpers shared by the pages. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "–";
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

export function usd(v: number): string {
  return v === 0 ? "$0" : v < 0.01 ? `$${v.toFixed(6)}` : `$${v.toFixed(4)}`;
}

export function short(id: string): string {
  return id.length > 16 ? `${id.slice(0, 9)}…${id.slice(-6)}` : id;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
