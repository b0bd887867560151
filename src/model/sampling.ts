// Next-token selection from one row of logits: greedy, or sampling with temperature, top-k and top-p (nucleus),
// in the order and with the tie rules of transformers' logits warpers. Not a generation loop (see generate.ts).

import { RadpoError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

export interface SamplingOptions {
  /** false: greedy (argmax, lowest id on ties). true: sample from the warped distribution. */
  do_sample: boolean;
  /** Logits are divided by this before top-k / top-p (> 0). */
  temperature: number;
  /** Keep the k highest logits (ties at the k-th value kept, as transformers does); 0 = off. */
  top_k: number;
  /** Keep the smallest set of most likely tokens whose probability reaches top_p; 1 = off. */
  top_p: number;
}

export const DEFAULT_SAMPLING: SamplingOptions = { do_sample: false, temperature: 1, top_k: 0, top_p: 1 };

export function checkSampling(o: SamplingOptions): void {
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new RadpoError('config', 'temperature must be a finite number > 0', { field: 'temperature', value: o.temperature });
  if (!Number.isInteger(o.top_k) || o.top_k < 0) throw new RadpoError('config', 'top_k must be an integer >= 0 (0 = off)', { field: 'top_k', value: o.top_k });
  if (!(o.top_p > 0 && o.top_p <= 1)) throw new RadpoError('config', 'top_p must be in (0, 1]', { field: 'top_p', value: o.top_p });
}

/** Index of the largest of logits[off .. off+n), lowest index on ties. NaN never wins. */
export function argmax(logits: Float32Array, off = 0, n = logits.length - off): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[off + i] as number;
    if (v > bv) { bv = v; best = i; }
  }
  return best;
}

/** Reusable buffers so a decode step allocates nothing per token. */
export class SamplerScratch {
  idx = new Int32Array(0);
  p = new Float64Array(0);
  ensure(v: number): void {
    if (this.idx.length < v) { this.idx = new Int32Array(v); this.p = new Float64Array(v); }
  }
}

/**
 * The distribution sampling draws from, as (token ids, probabilities) sorted by decreasing probability; tokens
 * outside it have probability 0. logits: [V] row at `off`. Returns the count m of kept tokens; ids in
 * scratch.idx[0..m), probabilities (summing to 1) in scratch.p[0..m).
 */
export function warpedDistribution(logits: Float32Array, off: number, V: number, o: SamplingOptions, s: SamplerScratch): number {
  s.ensure(V);
  const idx = s.idx;
  const p = s.p;
  const invT = 1 / o.temperature;
  let max = -Infinity;
  for (let i = 0; i < V; i++) { const v = logits[off + i] as number; if (v > max) max = v; }
  if (!Number.isFinite(max)) throw new RadpoError('numeric', `logits have no finite maximum (${max}); cannot sample`);
  // Candidates: all tokens, or those >= the k-th largest logit (transformers keeps ties at the threshold).
  let m = 0;
  if (o.top_k > 0 && o.top_k < V) {
    const thr = kthLargest(logits, off, V, o.top_k, p);
    for (let i = 0; i < V; i++) if ((logits[off + i] as number) >= thr) idx[m++] = i;
  } else {
    for (let i = 0; i < V; i++) idx[m++] = i;
  }
  // Sort candidates by decreasing logit (stable on id) only when top-p needs an order; else keep id order.
  if (o.top_p < 1) sortByLogitDesc(idx, m, logits, off);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const e = Math.exp(((logits[off + (idx[j] as number)] as number) - max) * invT);
    p[j] = e; sum += e;
  }
  for (let j = 0; j < m; j++) p[j] = (p[j] as number) / sum;
  if (o.top_p < 1) {
    // Keep token j while the probability mass strictly before it is < top_p (at least one token).
    let cum = 0;
    let keep = 0;
    while (keep < m && cum < o.top_p) { cum += p[keep] as number; keep++; }
    m = Math.max(1, keep);
    let z = 0;
    for (let j = 0; j < m; j++) z += p[j] as number;
    for (let j = 0; j < m; j++) p[j] = (p[j] as number) / z;
  }
  return m;
}

/**
 * Picks the next token from logits[off .. off+V). Greedy when !do_sample; otherwise one uniform draw from `rng`
 * by inverse CDF over the warped distribution (one draw per token keeps sequences reproducible).
 */
export function selectToken(logits: Float32Array, off: number, V: number, o: SamplingOptions, rng: Rng | null, s: SamplerScratch): number {
  if (!o.do_sample) return argmax(logits, off, V);
  if (!rng) throw new Error('selectToken: sampling needs an Rng');
  const m = warpedDistribution(logits, off, V, o, s);
  const u = rng.next();
  let cum = 0;
  for (let j = 0; j < m; j++) {
    cum += s.p[j] as number;
    if (u < cum) return s.idx[j] as number;
  }
  return s.idx[m - 1] as number; // u within rounding of 1
}

/** The per-sequence generator: independent of batch size and order (seed and sequence number only). */
export function sequenceRng(seed: number, sequence: number): Rng {
  return new Rng((Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(sequence + 1, 0x9e3779b1)) >>> 0);
}

function kthLargest(logits: Float32Array, off: number, V: number, k: number, tmp: Float64Array): number {
  for (let i = 0; i < V; i++) tmp[i] = logits[off + i] as number;
  const a = tmp.subarray(0, V).sort(); // ascending; V is small (vocab), once per sampled token
  return a[V - k] as number;
}

function sortByLogitDesc(idx: Int32Array, m: number, logits: Float32Array, off: number): void {
  const view = Array.from(idx.subarray(0, m));
  view.sort((a, b) => ((logits[off + b] as number) - (logits[off + a] as number)) || a - b);
  for (let j = 0; j < m; j++) idx[j] = view[j] as number;
}
