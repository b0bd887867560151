// Maps raw scores (implicit rewards) onto a goal scale: min-max, equal-frequency quantile bins, or a linear fit to
// the original judge scores, each rounded to a step and clamped to [scale_min, scale_max]. Pure numbers; no rows.

import { RadpoError } from '../util/errors.js';

export type ScaleMethod = 'minmax' | 'quantile' | 'linear_fit';
export const SCALE_METHODS: readonly ScaleMethod[] = ['minmax', 'quantile', 'linear_fit'];

export interface ScaleOptions {
  /** Lowest goal on the scale (default 1). */
  scale_min?: number;
  /** Highest goal on the scale (default 10). */
  scale_max?: number;
  /** Rounding step, counted from scale_min (default 1); 0 keeps the mapped values unrounded. */
  step?: number;
  /** quantile: number of equal-frequency bins (default: the number of grid points, (max-min)/step + 1). */
  bins?: number;
  /** linear_fit: original score of each value (same order); null/NaN entries are left out of the fit. */
  original?: readonly (number | null | undefined)[];
}

export interface ScaleResult {
  /** Mapped value per input value, on the scale. */
  mapped: number[];
  /** What the mapping used: min/max (minmax), bin edges as values (quantile), slope/intercept/r2 (linear_fit). */
  fit: Record<string, number | number[]>;
}

/**
 * Maps `values` onto [scale_min, scale_max].
 * - minmax: y = min + (v - vmin) / (vmax - vmin) * (max - min); all-equal values map to the middle of the scale.
 * - quantile: mid-rank empirical CDF p = (#{< v} + #{= v} / 2) / n, bin = min(K-1, floor(p K)), bin b maps to
 *   min + b (max - min) / (K - 1). Ties share a bin; n distinct values with K = n give one value per grid point.
 * - linear_fit: least squares original ~ a v + b over rows with an original score, then y = a v + b.
 * Every y is then rounded to min + k step (step > 0) and clamped to the scale.
 */
export function mapToScale(values: readonly number[], method: ScaleMethod, opts: ScaleOptions = {}): ScaleResult {
  const lo = opts.scale_min ?? 1;
  const hi = opts.scale_max ?? 10;
  const step = opts.step ?? 1;
  if (!(hi > lo)) throw new RadpoError('config', `scale_max must exceed scale_min (got ${lo}..${hi})`, { field: 'scale_max', value: hi });
  if (!(step >= 0)) throw new RadpoError('config', 'step must be >= 0', { field: 'step', value: step });
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RadpoError('numeric', `value ${i} to map is not finite`, { field: `values[${i}]`, value: v });
  });
  const finish = (y: number): number => clamp(roundToStep(y, lo, step), lo, hi);
  if (values.length === 0) return { mapped: [], fit: {} };

  switch (method) {
    case 'minmax': {
      let vmin = Infinity, vmax = -Infinity;
      for (const v of values) { if (v < vmin) vmin = v; if (v > vmax) vmax = v; }
      const span = vmax - vmin;
      const mapped = values.map((v) => finish(span > 0 ? lo + ((v - vmin) / span) * (hi - lo) : (lo + hi) / 2));
      return { mapped, fit: { min: vmin, max: vmax } };
    }
    case 'quantile': {
      const grid = step > 0 ? Math.round((hi - lo) / step) + 1 : 10;
      const k = opts.bins ?? grid;
      if (!(Number.isInteger(k) && k >= 2)) throw new RadpoError('config', 'bins must be an integer >= 2', { field: 'bins', value: k });
      const p = midRankCdf(values);
      const bins = p.map((q) => Math.min(k - 1, Math.floor(q * k)));
      const mapped = bins.map((b) => finish(lo + (b * (hi - lo)) / (k - 1)));
      // Upper edge (as a raw value) of each bin: the largest value that fell in it, for the record.
      const edges = new Array<number>(k).fill(NaN);
      bins.forEach((b, i) => { const v = values[i] as number; if (!(edges[b]! >= v)) edges[b] = v; });
      return { mapped, fit: { bins: k, upper_edges: edges } };
    }
    case 'linear_fit': {
      const orig = opts.original;
      if (!orig || orig.length !== values.length) {
        throw new RadpoError('input', `linear_fit needs one original score per value (got ${orig?.length ?? 0} for ${values.length} values); the data has no original scores, use minmax or quantile`, { field: 'original' });
      }
      const xs: number[] = [], ys: number[] = [];
      values.forEach((v, i) => { const o = orig[i]; if (o !== null && o !== undefined && Number.isFinite(o)) { xs.push(v); ys.push(o); } });
      const { slope, intercept, r2 } = leastSquares(xs, ys);
      const mapped = values.map((v) => finish(slope * v + intercept));
      return { mapped, fit: { slope, intercept, r2, n_fit: xs.length } };
    }
    default:
      throw new RadpoError('config', `unknown scale method (expected one of ${SCALE_METHODS.join(', ')})`, { field: 'scale_method', value: method });
  }
}

/** Rounds y to the nearest lo + k step (half away from lo upward), cleaning float noise; step 0 leaves y. */
export function roundToStep(y: number, lo: number, step: number): number {
  if (step === 0) return y;
  const k = Math.round((y - lo) / step);
  return Number((lo + k * step).toFixed(10));
}

function clamp(y: number, lo: number, hi: number): number { return y < lo ? lo : y > hi ? hi : y; }

/** p_i = (#{v < v_i} + #{v == v_i} / 2) / n, in (0, 1). */
function midRankCdf(values: readonly number[]): number[] {
  const n = values.length;
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const p = new Array<number>(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const q = (i + (j - i + 1) / 2) / n;
    for (let t = i; t <= j; t++) p[order[t] as number] = q;
    i = j + 1;
  }
  return p;
}

/** Ordinary least squares y ~ slope x + intercept, in float64. Needs two distinct x. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  if (n < 2) throw new RadpoError('input', `linear_fit needs at least 2 rows with an original score, found ${n}`, { field: 'original' });
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += xs[i] as number; my += ys[i] as number; }
  mx /= n; my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx, dy = (ys[i] as number) - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  if (!(sxx > 0)) throw new RadpoError('input', 'linear_fit: all values are equal, no slope can be fitted', { field: 'values' });
  const slope = sxy / sxx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { slope, intercept: my - slope * mx, r2 };
}
