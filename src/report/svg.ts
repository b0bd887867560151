// Small inline-SVG chart helpers for the HTML report: line charts with several series (optional CI bands) and
// grouped bar charts with 95% CI error bars. Output is a static SVG string; no JavaScript, not a plotting library.

/** Okabe-Ito palette: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values covering [lo, hi] (1, 2, 5 x 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) { const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1; lo -= d; hi += d; }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // Ticks are k * step for whole k (not a running sum, which drifts: -0.5 + 5 x 0.1 = -2.8e-17 instead of 0);
  // the 1e-9 guards floor() against 0.3 / 0.1 = 2.9999999999999996.
  const tick = (k: number): number => { const v = Number((k * step).toPrecision(12)); return Math.abs(v) < step * 1e-9 ? 0 : v; };
  let k = Math.floor(lo / step + 1e-9);
  for (; k * step <= hi + step * 1e-9; k++) out.push(tick(k));
  if (out[out.length - 1]! < hi - step * 1e-9) out.push(tick(k));
  return out;
}

export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

export interface LineSeries {
  name: string;
  points: [number, number][];
  /** Optional confidence band: [x, lo, hi]. */
  band?: [number, number, number][];
  dashed?: boolean;
  color?: string;
  /** Leave out of the legend (a second line of a series already listed, explained in the title). */
  noLegend?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
  /** Draw a marker at each point (for few points). */
  markers?: boolean;
}

interface Frame { x0: number; x1: number; y0: number; y1: number; sx: (v: number) => number; sy: (v: number) => number; xt: number[]; yt: number[] }

const M = { left: 58, right: 16, top: 48, bottom: 46 };

function frame(w: number, h: number, xlo: number, xhi: number, ylo: number, yhi: number, xTicks?: number[]): Frame {
  const xt = xTicks ?? niceTicks(xlo, xhi, 6);
  const yt = niceTicks(ylo, yhi, 5);
  const [xa, xb] = xTicks ? [xlo, xhi] : [Math.min(xt[0]!, xlo), Math.max(xt[xt.length - 1]!, xhi)];
  const [ya, yb] = [Math.min(yt[0]!, ylo), Math.max(yt[yt.length - 1]!, yhi)];
  const x0 = M.left, x1 = w - M.right, y0 = h - M.bottom, y1 = M.top;
  const sx = (v: number): number => x0 + ((v - xa) / (xb - xa || 1)) * (x1 - x0);
  const sy = (v: number): number => y0 - ((v - ya) / (yb - ya || 1)) * (y0 - y1);
  return { x0, x1, y0, y1, sx, sy, xt, yt };
}

function axes(f: Frame, spec: { title: string; xLabel: string; yLabel: string }, w: number, h: number, xTickLabels?: string[]): string {
  const parts: string[] = [];
  for (const t of f.yt) {
    const y = f.sy(t).toFixed(1);
    parts.push(`<line class="grid" x1="${f.x0}" x2="${f.x1}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${f.x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtTick(t)}</text>`);
  }
  f.xt.forEach((t, i) => {
    const x = f.sx(t).toFixed(1);
    parts.push(`<line class="axis" x1="${x}" x2="${x}" y1="${f.y0}" y2="${f.y0 + 4}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${f.y0 + 16}" text-anchor="middle">${esc(xTickLabels?.[i] ?? fmtTick(t))}</text>`);
  });
  parts.push(`<line class="axis" x1="${f.x0}" x2="${f.x1}" y1="${f.y0}" y2="${f.y0}"/>`);
  parts.push(`<line class="axis" x1="${f.x0}" x2="${f.x0}" y1="${f.y0}" y2="${f.y1}"/>`);
  parts.push(`<text class="title" x="${f.x0}" y="18">${esc(spec.title)}</text>`);
  parts.push(`<text class="label" x="${(f.x0 + f.x1) / 2}" y="${h - 8}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(14 ${(f.y0 + f.y1) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  void w;
  return parts.join('');
}

function legend(items: { name: string; color: string; dashed?: boolean }[], x: number, y: number): string {
  // Legend laid out in rows above the plot area's top-right; each entry about 7px per character.
  const parts: string[] = [];
  let cx = x;
  for (const it of items) {
    const wText = 7.2 * it.name.length + 36;
    parts.push(`<line x1="${cx}" x2="${cx + 18}" y1="${y}" y2="${y}" stroke="${it.color}" stroke-width="3"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text class="legend" x="${cx + 23}" y="${y}" dominant-baseline="middle">${esc(it.name)}</text>`);
    cx += wText;
  }
  return `<g class="legend-box">${parts.join('')}</g>`;
}

function svgOpen(w: number, h: number, title: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">`;
}

export function lineChart(spec: LineChartSpec): string {
  const w = spec.width ?? 520, h = spec.height ?? 320;
  const xs: number[] = [], ys: number[] = [];
  for (const s of spec.series) {
    for (const [x, y] of s.points) if (Number.isFinite(x) && Number.isFinite(y)) { xs.push(x); ys.push(y); }
    for (const [x, lo, hi] of s.band ?? []) if ([x, lo, hi].every(Number.isFinite)) { xs.push(x); ys.push(lo, hi); }
  }
  if (xs.length === 0) { xs.push(0, 1); ys.push(0, 1); }
  const f = frame(w, h, Math.min(...xs), Math.max(...xs), spec.yMin ?? Math.min(...ys), spec.yMax ?? Math.max(...ys));
  const parts: string[] = [svgOpen(w, h, spec.title), axes(f, spec, w, h)];
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const band = (s.band ?? []).filter((b) => b.every(Number.isFinite));
    if (band.length > 1) {
      const up = band.map(([x, , hi]) => `${f.sx(x).toFixed(1)},${f.sy(hi).toFixed(1)}`);
      const down = [...band].reverse().map(([x, lo]) => `${f.sx(x).toFixed(1)},${f.sy(lo).toFixed(1)}`);
      parts.push(`<path class="band" d="M${up.join('L')}L${down.join('L')}Z" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) {
      const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${f.sx(x).toFixed(1)},${f.sy(y).toFixed(1)}`).join('');
      parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`);
      if (spec.markers || pts.length === 1) for (const [x, y] of pts) parts.push(`<circle cx="${f.sx(x).toFixed(1)}" cy="${f.sy(y).toFixed(1)}" r="3.2" fill="${color}"/>`);
    }
  });
  parts.push(legend(spec.series.flatMap((s, i) => (s.noLegend ? [] : [{ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: s.dashed }])), f.x0 + 4, f.y1 - 16));
  parts.push('</svg>');
  return parts.join('');
}

export interface Bar { series: string; mean: number; lo?: number; hi?: number }
export interface BarGroup { label: string; bars: Bar[] }

export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  groups: BarGroup[];
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}

/** Grouped bars; one colour per series name (consistent across groups), whiskers for [lo, hi]. */
export function barChart(spec: BarChartSpec): string {
  const w = spec.width ?? 520, h = spec.height ?? 320;
  const names: string[] = [];
  for (const g of spec.groups) for (const b of g.bars) if (!names.includes(b.series)) names.push(b.series);
  const vals: number[] = [0];
  for (const g of spec.groups) for (const b of g.bars) for (const v of [b.mean, b.lo, b.hi]) if (v !== undefined && Number.isFinite(v)) vals.push(v);
  const ylo = spec.yMin ?? Math.min(...vals), yhi = spec.yMax ?? Math.max(...vals);
  const n = Math.max(1, spec.groups.length);
  const f = frame(w, h, 0, n, ylo, yhi, spec.groups.map((_, i) => i + 0.5));
  const parts: string[] = [svgOpen(w, h, spec.title), axes(f, spec, w, h, spec.groups.map((g) => g.label))];
  const groupW = (f.x1 - f.x0) / n;
  const barW = Math.min(56, (groupW * 0.8) / Math.max(1, names.length));
  const base = f.sy(Math.max(ylo, Math.min(0, yhi)));
  spec.groups.forEach((g, gi) => {
    const start = f.x0 + gi * groupW + (groupW - barW * names.length) / 2;
    for (const b of g.bars) {
      const k = names.indexOf(b.series);
      const color = PALETTE[k % PALETTE.length]!;
      if (!Number.isFinite(b.mean)) continue;
      const x = start + k * barW + 2, y = f.sy(b.mean);
      const top = Math.min(y, base), height = Math.max(1, Math.abs(base - y));
      parts.push(`<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${height.toFixed(1)}" fill="${color}" rx="2"><title>${esc(`${g.label} / ${b.series}: ${b.mean.toFixed(3)}${b.lo !== undefined ? ` [${b.lo.toFixed(3)}, ${b.hi?.toFixed(3)}]` : ''}`)}</title></rect>`);
      if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const cx = x + (barW - 4) / 2;
        const ylo2 = f.sy(b.lo).toFixed(1), yhi2 = f.sy(b.hi).toFixed(1);
        parts.push(`<path class="errorbar" d="M${cx.toFixed(1)},${ylo2}L${cx.toFixed(1)},${yhi2}M${(cx - 5).toFixed(1)},${ylo2}L${(cx + 5).toFixed(1)},${ylo2}M${(cx - 5).toFixed(1)},${yhi2}L${(cx + 5).toFixed(1)},${yhi2}" stroke="#222" stroke-width="1.4" fill="none"/>`);
      }
    }
  });
  parts.push(legend(names.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length]! })), f.x0 + 4, f.y1 - 16));
  parts.push('</svg>');
  return parts.join('');
}
