// Matrix multiplies for the engine: onnxruntime single-operator sessions (MLAS, 2 threads; through its C API where
// available, ort_native.ts) and a plain TypeScript reference GEMM used by tests and tiny shapes. Not an autograd:
// callers pass explicit buffers and shapes.

import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { singleOpModel } from './kernels/onnx_proto.js';
import type { Vec } from './kernels/types.js';
import { available as nativeAvailable, createNativeSession } from './ort_native.js';

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

const sessions = new Map<string, Promise<EngineSession>>();
const scratchPool: Float32Array[] = [];

/**
 * ORT threads (set before the first multiply), the size (batch*M*N*K) below which the reference GEMM runs, and
 * whether idle ORT threads spin. Multiplies below smallBelow multiply-adds and the element-wise graphs of
 * kernels/ort_ops.ts run on min(threads, smallThreads) (default: all threads).
 * adaptive: while the 1-minute load average exceeds cores + threads (the machine is oversubscribed even without this
 * process), every op runs on 1 thread; results are bitwise the same (MLAS splits rows and columns, not sums).
 * Small config at load ~7, steps interleaved in one process (wall / CPU ms per step): 2 threads 618 / 586 and
 * 591 / 583; small ops on 1 thread 581 / 564 and 581 / 552; 1 thread everywhere 580 / 508 and 518 / 499.
 * RADPO_ORT_ADAPTIVE=0 turns it off.
 * Spinning is off by default: on a shared 2-core machine spinning pool threads made a
 * training step 4.7x slower (5994 vs 1262 ms, small config, load ~9); re-measured at load 3.7 (spin 1756 / 1659 ms vs
 * no spin 829 / 467 ms per step) and load ~9 (5798 / 5723 vs 1658 / 1388 ms). RADPO_ORT_SPIN=1 turns it back on.
 * native: sessions run through onnxruntime's C API (ort_native.ts) when it loads; false (RADPO_ORT_NATIVE=0) uses
 * the onnxruntime-node binding, which copies every output (bitwise the same results, slower).
 */
export const gemmSettings = { threads: 2, refBelowFlops: 32768, spinning: process.env.RADPO_ORT_SPIN === '1', smallThreads: 2, smallBelow: 16e6,
  adaptive: process.env.RADPO_ORT_ADAPTIVE !== '0', native: process.env.RADPO_ORT_NATIVE !== '0' };

/** Cumulative GEMM statistics (benchmarks): calls, multiply-adds * 2, ms inside ORT, calls run on 1 thread by `adaptive`. */
export const gemmStats = { calls: 0, flops: 0, ms: 0, oneThreadCalls: 0, detail: false, byShape: new Map<string, { calls: number; flops: number; ms: number }>() };

function sessionFor(transA: boolean, transB: boolean, alpha: number, rankA: number, rankB: number, threads: number): Promise<EngineSession> {
  return cachedSession(`mm${+transA}${+transB}:${alpha}:${rankA}:${rankB}`, () => {
    const dimsA = rankA === 3 ? ['z', 'a0', 'a1'] : ['a0', 'a1'];
    const dimsB = rankB === 3 ? ['z', 'b0', 'b1'] : ['b0', 'b1'];
    const dimsY = rankA === 3 ? ['z', 'm', 'n'] : ['m', 'n'];
    return singleOpModel('FusedMatMul', 'com.microsoft',
      [{ name: 'A', dims: dimsA }, { name: 'B', dims: dimsB }], [{ name: 'Y', dims: dimsY }],
      [{ name: 'transA', int: +transA }, { name: 'transB', int: +transB }, { name: 'alpha', float: alpha }]);
  }, threads);
}

/** Y = alpha * op(A) op(B) + C (Gemm, beta 1): the accumulating 2-D multiply, run with C and Y on the same buffer. */
function accSessionFor(transA: boolean, transB: boolean, alpha: number, threads: number): Promise<EngineSession> {
  return cachedSession(`acc${+transA}${+transB}:${alpha}`, () => singleOpModel('Gemm', '',
    [{ name: 'A', dims: ['a0', 'a1'] }, { name: 'B', dims: ['b0', 'b1'] }, { name: 'C', dims: ['m', 'n'] }], [{ name: 'Y', dims: ['m', 'n'] }],
    [{ name: 'transA', int: +transA }, { name: 'transB', int: +transB }, { name: 'alpha', float: alpha }, { name: 'beta', float: 1 }]), threads);
}

const cores = os.availableParallelism();
let loadCheckedAt = -Infinity, oversubscribed = false;

/** Threads for an op: gemmSettings.threads, or 1 while adaptive and oversubscribed (load re-read at most once a second). */
export function opThreads(): number {
  if (!gemmSettings.adaptive || gemmSettings.threads <= 1) return Math.max(1, gemmSettings.threads);
  const now = performance.now();
  if (now - loadCheckedAt > 1000) { loadCheckedAt = now; oversubscribed = os.loadavg()[0]! > cores + gemmSettings.threads; }
  return oversubscribed ? 1 : gemmSettings.threads;
}

/** Threads for a small op (multiplies below smallBelow, element-wise graphs). */
export function smallOpThreads(): number { return Math.max(1, Math.min(opThreads(), gemmSettings.smallThreads)); }

/**
 * A session the engine runs: feeds and preallocated fetches (every output written into the caller's buffer; nothing
 * returned). Through onnxruntime's C API (ort_native.ts) where available, else through the onnxruntime-node binding.
 */
export interface EngineSession {
  readonly native: boolean;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>): Promise<void>;
}

/** An ORT CPU session for a model, with the engine's thread settings. */
export async function ortSession(bytes: Uint8Array, threads = gemmSettings.threads): Promise<EngineSession> {
  if (gemmSettings.native && nativeAvailable()) {
    const s = createNativeSession(bytes, { threads, spinning: gemmSettings.spinning });
    return { native: true, run: (feeds, fetches) => { s.run(feeds, fetches); return Promise.resolve(); } };
  }
  const s = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', enableCpuMemArena: true,
    extra: { session: { intra_op: { allow_spinning: gemmSettings.spinning ? '1' : '0' } } },
  });
  return { native: false, run: async (feeds, fetches) => { await s.run(feeds, fetches); } };
}

/**
 * The engine's session for a model named `name` (built on first use), one per thread count and per path (C API or
 * binding): every ORT session radpo runs comes from here.
 */
export function cachedSession(name: string, build: () => Uint8Array, threads: number): Promise<EngineSession> {
  const key = `${name}:${threads}:${+gemmSettings.native}`;
  let s = sessions.get(key);
  if (!s) { s = ortSession(build(), threads); sessions.set(key, s); }
  return s;
}

function view(buf: Float32Array, len: number): Float32Array {
  return buf.length === len ? buf : buf.subarray(0, len);
}

/** ORT-backed multiply (same contract as matmulRef); tiny shapes go to the reference. */
export async function matmul(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, opts: MatmulOpts = {}): Promise<void> {
  const { transA = false, transB = false, alpha = 1, batch = 1, bBatched = true, accumulate = false } = opts;
  checkLengths(out, a, b, M, N, K, batch, bBatched);
  if (batch * M * N * K < gemmSettings.refBelowFlops) { matmulRef(out, a, b, M, N, K, opts); return; }
  // Batched transA runs as one batched FusedMatMul (it transposes A inside): on the attention shapes (8 x [R, kLen]^T
  // [R, 64], R 128-512, kLen 64-256) 2-3x faster than one 2-D transposed GEMM per matrix (e.g. 2.1 vs 6.3 ms, load 6.5).
  const rankA = batch > 1 ? 3 : 2, rankB = batch > 1 && bBatched ? 3 : 2;
  // 2-D accumulation: one Gemm with beta = 1 reading and writing `out` in place (no scratch buffer, no add pass).
  const inPlace = accumulate && batch === 1;
  const threads = batch * M * N * K < gemmSettings.smallBelow ? smallOpThreads() : opThreads();
  const sess = await (inPlace ? accSessionFor(transA, transB, alpha, threads) : sessionFor(transA, transB, alpha, rankA, rankB, threads));
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
  if (threads < gemmSettings.threads) gemmStats.oneThreadCalls++;
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
