// Experiment 1: the poster's toy examples solved exactly. Tabular softmax policies over a few responses, uniform
// reference, DPO (optionally label-smoothed) optimised by damped Newton in float64. Not a neural-network experiment.

/** A context is one prompt (plain DPO) or one prompt plus goal (reward-augmented DPO), with its preference pairs. */
export interface ToyContext { goal: number | null; pairs: [winner: number, loser: number][] }

export interface ToySolveOptions {
  beta?: number;            // DPO beta (default 0.1)
  label_smoothing?: number; // conservative DPO epsilon (default 0.01: finite optimum, close to plain DPO)
  maxIter?: number;
  tol?: number;             // stop when the gradient's max-norm is below this
}

export interface ToySolution { goal: number | null; logits: number[]; probs: number[]; loss: number; gradNorm: number; iterations: number }

/**
 * Minimises sum over pairs of -(1-eps) log sigmoid(beta m) - eps log sigmoid(-beta m), m = z_w - z_l (the uniform
 * reference and the log-softmax normaliser cancel in the difference), from z = 0. Returns the policy softmax(z).
 */
export function solveToyContext(n: number, ctx: ToyContext, opts: ToySolveOptions = {}): ToySolution {
  const beta = opts.beta ?? 0.1, eps = opts.label_smoothing ?? 0.01;
  const maxIter = opts.maxIter ?? 200, tol = opts.tol ?? 1e-12;
  const z = new Array<number>(n).fill(0);
  const evaluate = (zz: number[]): { loss: number; g: number[]; H: number[][] } => {
    let loss = 0;
    const g = new Array<number>(n).fill(0);
    const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (const [w, l] of ctx.pairs) {
      const x = beta * (zz[w]! - zz[l]!);
      loss += (1 - eps) * softplus(-x) + eps * softplus(x);
      const s = sigmoid(x);
      const dx = beta * (-(1 - eps) * (1 - s) + eps * s);   // d loss / d (z_w - z_l)
      const hx = beta * beta * s * (1 - s);
      g[w]! += dx; g[l]! -= dx;
      H[w]![w]! += hx; H[l]![l]! += hx; H[w]![l]! -= hx; H[l]![w]! -= hx;
    }
    return { loss, g, H };
  };
  let it = 0;
  let cur = evaluate(z);
  for (; it < maxIter && maxAbs(cur.g) > tol; it++) {
    // Damped Newton: (H + lambda I) d = -g. Directions the loss ignores have zero gradient, so they do not move.
    let lambda = 1e-12;
    for (;;) {
      const d = solveLinear(cur.H.map((row, i) => row.map((v, j) => v + (i === j ? lambda : 0))), cur.g.map((v) => -v));
      const zn = z.map((v, i) => v + d[i]!);
      const next = evaluate(zn);
      if (next.loss <= cur.loss + 1e-15 || lambda > 1e6) { for (let i = 0; i < n; i++) z[i] = zn[i]!; cur = next; break; }
      lambda *= 10;
    }
  }
  return { goal: ctx.goal, logits: [...z], probs: softmax(z), loss: cur.loss, gradNorm: maxAbs(cur.g), iterations: it };
}

/** The optimal log-ratio margin of a pair under label smoothing eps: beta m* = log((1 - eps) / eps). */
export function optimalMargin(beta: number, eps: number): number {
  return Math.log((1 - eps) / eps) / beta;
}

export interface ToyExample {
  name: string;
  description: string;
  responses: { label: string; score: number }[];
  pairs: [number, number][];
}

export const TOY_EXAMPLES: ToyExample[] = [
  {
    name: 'nine-vs-eight',
    description: 'Scores 9 vs 8, one pair y1 > y2. DPO drives the good 8-point response to zero; the goal-conditioned policy keeps each response at its own goal.',
    responses: [{ label: 'y1', score: 9 }, { label: 'y2', score: 8 }],
    pairs: [[0, 1]],
  },
  {
    name: 'nine-one-zero',
    description: 'Scores 9, 1, 0 with pairs y1 > y3 and y2 > y3. DPO puts as much mass on the 1-point response as on the 9-point one; conditioned on g = 9 the policy separates them.',
    responses: [{ label: 'y1', score: 9 }, { label: 'y2', score: 1 }, { label: 'y3', score: 0 }],
    pairs: [[0, 2], [1, 2]],
  },
];

/** Relabeling (method.md section 2): each pair gives a positive copy at g = r_w and a swapped copy at g = r_l. */
export function relabelToy(ex: ToyExample): ToyContext[] {
  const byGoal = new Map<number, [number, number][]>();
  const add = (g: number, p: [number, number]): void => { if (!byGoal.has(g)) byGoal.set(g, []); byGoal.get(g)!.push(p); };
  for (const [w, l] of ex.pairs) {
    add(ex.responses[w]!.score, [w, l]);
    add(ex.responses[l]!.score, [l, w]);
  }
  return [...byGoal.entries()].sort((a, b) => b[0] - a[0]).map(([goal, pairs]) => ({ goal, pairs }));
}

export interface ToyResult {
  example: ToyExample;
  beta: number;
  label_smoothing: number;
  dpo: ToySolution;
  conditioned: ToySolution[];
  /** Expected score of each policy: DPO, and the conditioned policy at each goal. */
  expectedScore: { dpo: number; conditioned: Record<string, number> };
}

export function runToyExperiment(opts: ToySolveOptions = {}): ToyResult[] {
  const beta = opts.beta ?? 0.1, eps = opts.label_smoothing ?? 0.01;
  return TOY_EXAMPLES.map((ex) => {
    const n = ex.responses.length;
    const dpo = solveToyContext(n, { goal: null, pairs: ex.pairs }, opts);
    const conditioned = relabelToy(ex).map((ctx) => solveToyContext(n, ctx, opts));
    const exp = (p: number[]): number => p.reduce((s, pi, i) => s + pi * ex.responses[i]!.score, 0);
    return {
      example: ex, beta, label_smoothing: eps, dpo, conditioned,
      expectedScore: { dpo: exp(dpo.probs), conditioned: Object.fromEntries(conditioned.map((c) => [String(c.goal), exp(c.probs)])) },
    };
  });
}

function sigmoid(x: number): number { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
function softplus(x: number): number { return x > 30 ? x : x < -30 ? Math.exp(x) : Math.log1p(Math.exp(x)); }
function maxAbs(v: number[]): number { return v.reduce((m, x) => Math.max(m, Math.abs(x)), 0); }

export function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Gaussian elimination with partial pivoting for the tiny (n <= 10) Newton systems. */
function solveLinear(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]!;
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / piv;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}
