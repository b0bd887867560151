// Matrix multiplies for the engine: onnxruntime-node single-operator sessions (MLAS, 2 threads) and a plain
// TypeScript reference GEMM used by tests and tiny shapes. Not an autograd: callers pass explicit buffers and shapes.

import * as ort from 'onnxruntime-node';
import { singleOpModel } from './kernels/onnx_proto.js';
import type { Vec } from './kernels/types.js';

/**
 * out[b] (=|+=) alpha * op(A[b]) . op(B[b]) for b < batch, all row-major:
 *   A: [batch, M, K] (or [batch, K, M] when transA), B: [batch, K, N] (or [batch, N, K] when transB), out: [batch, M, N].
 * `bBatched: false` shares one B ([K, N] or [N, K]) across the batch.
 */
export interface MatmulOpts {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  batch?: number;
  bBatched?: boolean;
  accumulate?: boolean;
}

/** Plain TypeScript reference (float32 storage, float64 accumulation); the ground truth for the ORT path. */
export function matmulRef(out: Vec, a: Vec, b: Vec, M: number, N: number, K: number, opts: MatmulOpts = {}): void {
  const { transA = false, transB = false, alpha = 1, batch = 1, bBatched = true, accumulate = false } = opts;
  checkLengths(out, a, b, M, N, K, batch, bBatched);
  const row = new Float64Array(N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K, bo = bBatched ? z * K * N : 0, oo = z * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = transA ? a[ao + k * M + i]! : a[ao + i * K + k]!;
        if (av === 0) continue;
        if (transB) for (let j = 0; j < N; j++) row[j]! += av * b[bo + j * K + k]!;
        else { const bb = bo + k * N; for (let j = 0; j < N; j++) row[j]! += av * b[bb + j]!; }
      }
      const r = oo + i * N;
      if (accumulate) for (let j = 0; j < N; j++) out[r + j]! += alpha * row[j]!;
      else for (let j = 0; j < N; j++) out[r + j] = alpha * row[j]!;
    }
  }
}

function checkLengths(out: Vec, a: Vec, b: Vec, M: number, N: number, K: number, batch: number, bBatched: boolean): void {
  if (a.length < batch * M * K || b.length < (bBatched ? batch : 1) * K * N || out.length < batch * M * N) {
    throw new Error(`matmul: buffers too small for batch=${batch} M=${M} N=${N} K=${K} (a ${a.length}, b ${b.length}, out ${out.length})`);
  }
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();
const scratchPool: Float32Array[] = [];

/**
 * ORT threads (set before the first multiply), the size (batch*M*N*K) below which the reference GEMM runs, and
 * whether idle ORT threads spin. Spinning is off by default: on a shared 2-core machine spinning pool threads made a
 * training step 4.7x slower (5994 vs 1262 ms, small config, load ~9); re-measured at load 3.7 (spin 1756 / 1659 ms vs
 * no spin 829 / 467 ms per step) and load ~9 (5798 / 5723 vs 1658 / 1388 ms). RADPO_ORT_SPIN=1 turns it back on.
 */
export const gemmSettings = { threads: 2, refBelowFlops: 32768, spinning: process.env.RADPO_ORT_SPIN === '1' };

/** Cumulative GEMM statistics (for benchmarks): calls, multiply-adds * 2, milliseconds inside ORT. */
export const gemmStats = { calls: 0, flops: 0, ms: 0, detail: false, byShape: new Map<string, { calls: number; flops: number; ms: number }>() };

function sessionFor(transA: boolean, transB: boolean, alpha: number, rankA: number, rankB: number): Promise<ort.InferenceSession> {
  const key = `${+transA}${+transB}:${alpha}:${rankA}:${rankB}`;
  let s = sessions.get(key);
  if (!s) {
    const dimsA = rankA === 3 ? ['z', 'a0', 'a1'] : ['a0', 'a1'];
    const dimsB = rankB === 3 ? ['z', 'b0', 'b1'] : ['b0', 'b1'];
    const dimsY = rankA === 3 ? ['z', 'm', 'n'] : ['m', 'n'];
    const bytes = singleOpModel('FusedMatMul', 'com.microsoft',
      [{ name: 'A', dims: dimsA }, { name: 'B', dims: dimsB }], [{ name: 'Y', dims: dimsY }],
      [{ name: 'transA', int: +transA }, { name: 'transB', int: +transB }, { name: 'alpha', float: alpha }]);
    s = ortSession(bytes);
    sessions.set(key, s);
  }
  return s;
}

/** Y = alpha * op(A) op(B) + C (Gemm, beta 1): the accumulating 2-D multiply, run with C and Y on the same buffer. */
function accSessionFor(transA: boolean, transB: boolean, alpha: number): Promise<ort.InferenceSession> {
  const key = `acc${+transA}${+transB}:${alpha}`;
  let s = sessions.get(key);
  if (!s) {
    const bytes = singleOpModel('Gemm', '',
      [{ name: 'A', dims: ['a0', 'a1'] }, { name: 'B', dims: ['b0', 'b1'] }, { name: 'C', dims: ['m', 'n'] }], [{ name: 'Y', dims: ['m', 'n'] }],
      [{ name: 'transA', int: +transA }, { name: 'transB', int: +transB }, { name: 'alpha', float: alpha }, { name: 'beta', float: 1 }]);
    s = ortSession(bytes);
    sessions.set(key, s);
  }
  return s;
}

/** An ORT CPU session for a single-operator model, with the engine's thread settings. */
export function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: gemmSettings.threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', enableCpuMemArena: true,
    extra: { session: { intra_op: { allow_spinning: gemmSettings.spinning ? '1' : '0' } } },
  });
}

function view(buf: Float32Array, len: number): Float32Array {
  return buf.length === len ? buf : buf.subarray(0, len);
}

/** ORT-backed multiply (same contract as matmulRef); tiny shapes go to the reference. */
export async function matmul(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, opts: MatmulOpts = {}): Promise<void> {
  const { transA = false, transB = false, alpha = 1, batch = 1, bBatched = true, accumulate = false } = opts;
  checkLengths(out, a, b, M, N, K, batch, bBatched);
  if (batch * M * N * K < gemmSettings.refBelowFlops) { matmulRef(out, a, b, M, N, K, opts); return; }
  if (batch > 1 && transA) {
    // Batched FusedMatMul materialises A^T; per-matrix 2-D calls use MLAS's native transposed GEMM (measured ~3x faster).
    for (let z = 0; z < batch; z++) {
      const bo = bBatched ? z * K * N : 0;
      await matmul(out.subarray(z * M * N, (z + 1) * M * N), a.subarray(z * M * K, (z + 1) * M * K), b.subarray(bo, bo + K * N), M, N, K, { transA, transB, alpha, accumulate });
    }
    return;
  }
  const rankA = batch > 1 ? 3 : 2, rankB = batch > 1 && bBatched ? 3 : 2;
  // 2-D accumulation: one Gemm with beta = 1 reading and writing `out` in place (no scratch buffer, no add pass).
  const inPlace = accumulate && batch === 1;
  const sess = await (inPlace ? accSessionFor(transA, transB, alpha) : sessionFor(transA, transB, alpha, rankA, rankB));
  const dimsA = transA ? [K, M] : [M, K], dimsB = transB ? [N, K] : [K, N];
  const ta = new ort.Tensor('float32', view(a, batch * M * K), rankA === 3 ? [batch, ...dimsA] : dimsA);
  const tb = new ort.Tensor('float32', view(b, (rankB === 3 ? batch : 1) * K * N), rankB === 3 ? [batch, ...dimsB] : dimsB);
  const n = batch * M * N;
  // Accumulation runs into a pooled scratch buffer (one per concurrent call) and adds in TypeScript.
  let scratch: Float32Array | null = null;
  if (accumulate && !inPlace) {
    const idx = scratchPool.findIndex((s) => s.length >= n);
    scratch = idx >= 0 ? scratchPool.splice(idx, 1)[0]! : new Float32Array(n);
  }
  const ty = new ort.Tensor('float32', view(scratch ?? out, n), rankA === 3 ? [batch, M, N] : [M, N]);
  const t0 = performance.now();
  await sess.run(inPlace ? { A: ta, B: tb, C: ty } : { A: ta, B: tb }, { Y: ty });
  const ms = performance.now() - t0, fl = 2 * batch * M * N * K;
  gemmStats.ms += ms; gemmStats.calls++; gemmStats.flops += fl;
  if (gemmStats.detail) {
    const key = `${batch}x[${M}x${K}].[${K}x${N}]${transA ? ' tA' : ''}${transB ? ' tB' : ''}`;
    const e = gemmStats.byShape.get(key) ?? { calls: 0, flops: 0, ms: 0 };
    e.calls++; e.flops += fl; e.ms += ms;
    gemmStats.byShape.set(key, e);
  }
  if (scratch) {
    for (let i = 0; i < n; i++) out[i]! += scratch[i]!;
    scratchPool.push(scratch);
    if (scratchPool.length > 4) scratchPool.shift();
  }
}
