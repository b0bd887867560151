// Test helpers for the engine: seeded random buffers and central finite differences in float64.
// Not a test file itself (no .test.ts suffix).

import { Rng } from '../../src/util/rng.js';
import { attnBlockSettings } from '../../src/model/kernels/attention_blocked.js';
import { attnFusedSettings } from '../../src/model/kernels/attention_fused.js';

export function randn(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** d f / d x[i] for every i by central differences (h = 1e-5 in float64: truncation ~1e-10, rounding ~1e-11). */
export async function numericGrad(x: Float64Array, f: () => Promise<number> | number, h = 1e-5): Promise<Float64Array> {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h; const fp = await f();
    x[i] = v - h; const fm = await f();
    x[i] = v;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** max |a - b| / (max |b| + floor). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / (m + floor);
}

/** The model's attention paths: the fused graphs with a number of query blocks, or the blocked kernel with a block size. */
export type AttnPath = { fused: number } | { block: number };
export const attnPathName = (p: AttnPath): string => ('fused' in p ? `fused, ${p.fused} block(s)` : `blocked ${p.block}`);

/** Runs fn with the model forced onto one attention path (settings restored after). */
export async function withAttnPath<R>(path: AttnPath, fn: () => Promise<R>): Promise<R> {
  const savedBlock = attnBlockSettings.block, savedFused = { ...attnFusedSettings };
  if ('fused' in path) { const nb = path.fused; Object.assign(attnFusedSettings, { maxT: Infinity, blocks: () => nb }); }
  else { attnFusedSettings.maxT = 0; attnBlockSettings.block = path.block; }
  try { return await fn(); } finally { attnBlockSettings.block = savedBlock; Object.assign(attnFusedSettings, savedFused); }
}
