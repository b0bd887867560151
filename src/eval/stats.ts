// Statistics for comparing methods over seeds and prompts: mean with a t-distribution 95% CI, win rate against a
// baseline, top-score share and Spearman rank correlation. Plain float64; not a plotting or reporting module.

/** Mean and two-sided confidence interval from the Student t distribution (n - 1 degrees of freedom). */
export interface MeanCI { mean: number; lo: number; hi: number; halfWidth: number; n: number; sd: number }

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1 denominator); 0 for one value. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

export function meanCI(xs: readonly number[], level = 0.95): MeanCI {
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleSd(xs);
  const half = n >= 2 ? tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n) : NaN;
  return { mean: m, lo: m - half, hi: m + half, halfWidth: half, n, sd };
}

/** ln Gamma (Lanczos, g = 7, 9 terms); |error| < 1e-13 for x > 0. */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes 6.4). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const step of [0, 1]) {
      const num = step === 0
        ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
        : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d; if (Math.abs(d) < tiny) d = tiny; d = 1 / d;
      c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
      f *= d * c;
      if (step === 1 && Math.abs(d * c - 1) < 1e-15) return (Math.exp(lnFront) * f) / a;
    }
  }
  return (Math.exp(lnFront) * f) / a;
}

/** Student t cumulative distribution function with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of the Student t distribution (bisection on tCdf; |error| < 1e-10). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`tQuantile: df must be positive, got ${df}`);
  let lo = -1e3, hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Win rate of `scores` against `baseline`, paired by index (same prompt): a win counts 1, a tie 1/2
 * (AlpacaEval convention).
 */
export function winRate(scores: readonly number[], baseline: readonly number[]): number {
  if (scores.length !== baseline.length) throw new Error(`winRate: ${scores.length} scores vs ${baseline.length} baseline scores`);
  if (scores.length === 0) return NaN;
  let w = 0;
  for (let i = 0; i < scores.length; i++) w += scores[i]! > baseline[i]! ? 1 : scores[i] === baseline[i] ? 0.5 : 0;
  return w / scores.length;
}

/** Share of values at or above `top` (e.g. responses with the maximum exact reward). */
export function topShare(scores: readonly number[], top: number): number {
  if (scores.length === 0) return NaN;
  let k = 0;
  for (const s of scores) if (s >= top - 1e-9) k++;
  return k / scores.length;
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`pearson: lengths ${x.length} and ${y.length}`);
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Spearman rank correlation: Pearson correlation of average ranks (handles ties). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}
