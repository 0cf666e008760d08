import { ms } from "../format.ts";

/** A small SVG line chart of p50 (a) and p99 (b) per minute; no chart library needed for two lines. */
export function Chart({ title, points }: { title: string; points: { t: string; a: number | null; b: number | null }[] }) {
  const w = 360;
  const h = 120;
  const max = Math.max(1, ...points.flatMap((p) => [p.a ?? 0, p.b ?? 0]));
  const x = (i: number) => (points.length <= 1 ? w / 2 : (i / (points.length - 1)) * (w - 8) + 4);
  const y = (v: number) => h - 16 - (v / max) * (h - 28);
  const line = (pick: (p: (typeof points)[number]) => number | null) =>
    points.map((p, i) => ({ i, v: pick(p) })).filter((p) => p.v !== null).map((p) => `${x(p.i).toFixed(1)},${y(p.v!).toFixed(1)}`).join(" ");
  const last = points.at(-1);
  return (
    <figure class="chart">
      <figcaption>{title} <span class="muted">p50 {ms(last?.a)} · p99 {ms(last?.b)}</span></figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={title}>
        <line x1="0" y1={h - 16} x2={w} y2={h - 16} class="axis" />
        <text x="4" y="10" class="tick">{ms(max)}</text>
        <text x="4" y={h - 2} class="tick">{points[0] ? new Date(points[0].t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "no turns"}</text>
        <polyline points={line((p) => p.b)} class="p99" />
        <polyline points={line((p) => p.a)} class="p50" />
        {points.map((p, i) => (p.b !== null ? <circle key={i} cx={x(i)} cy={y(p.b)} r="2" class="p99" /> : null))}
      </svg>
    </figure>
  );
}
