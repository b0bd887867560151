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
  private s = new Float64Array(0);
  ensure(v: number): void {
    if (this.idx.length < v) { this.idx = new Int32Array(v); this.p = new Float64Array(v); }
  }
  sorted(n: number): Float64Array {
    if (this.s.length < n) this.s = new Float64Array(n);
    return this.s.subarray(0, n);
  }
}

/**
 * The distribution sampling draws from, as (token ids in increasing order, probabilities); tokens outside it have
 * probability 0. logits: [V] row at `off`. Returns the count m of kept tokens; ids in scratch.idx[0..m),
 * probabilities (summing to 1) in scratch.p[0..m). Top-p ties at the cut-off value keep the lowest ids.
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
  let thr = -Infinity;
  if (o.top_k > 0 && o.top_k < V) thr = kthLargest(logits, off, V, o.top_k, s.sorted(V));
  let m = 0;
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const v = logits[off + i] as number;
    if (!(v >= thr)) continue;
    const e = Math.exp((v - max) * invT);
    idx[m] = i; p[m] = e; sum += e; m++;
  }
  for (let j = 0; j < m; j++) p[j] = (p[j] as number) / sum;
  if (o.top_p < 1) m = nucleus(o.top_p, m, s);
  return m;
}

/**
 * Restricts the m candidates (ids idx, probabilities p, id order) to the nucleus: tokens in decreasing probability
 * while the mass before them is < top_p (at least one), renormalised. Uses a native sort of the values only.
 */
function nucleus(topP: number, m: number, s: SamplerScratch): number {
  const idx = s.idx, p = s.p;
  const sorted = s.sorted(m);
  for (let j = 0; j < m; j++) sorted[j] = p[j] as number;
  sorted.sort(); // ascending
  let cum = 0, keep = 0, cut = Infinity;
  for (let j = m - 1; j >= 0 && cum < topP; j--) { cut = sorted[j] as number; cum += cut; keep++; }
  let above = 0;
  for (let j = 0; j < m; j++) if ((p[j] as number) > cut) above++;
  let tiesLeft = keep - above;
  let k = 0, z = 0;
  for (let j = 0; j < m; j++) {
    const pj = p[j] as number;
    if (pj > cut || (pj === cut && tiesLeft-- > 0)) { idx[k] = idx[j] as number; p[k] = pj; z += pj; k++; }
  }
  for (let j = 0; j < k; j++) p[j] = (p[j] as number) / z;
  return k;
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
  tmp.sort(); // ascending, native numeric sort
  return tmp[V - k] as number;
}
