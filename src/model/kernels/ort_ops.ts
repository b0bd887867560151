// Vectorised element-wise operators through onnxruntime (MLAS): row softmax (plain and scaled), sigmoid, SwiGLU,
// softmax backward, residual + RMSNorm forward and RMSNorm backward. Not for float64: those keep TypeScript kernels.

import * as ort from 'onnxruntime-node';
import { cachedSession, smallOpThreads, type EngineSession } from '../gemm.js';
import { graphModel, singleOpModel, type OnnxNode } from './onnx_proto.js';

function session(op: string): Promise<EngineSession> {
  const attrs = op === 'Softmax' ? [{ name: 'axis', int: -1 }] : [];
  return graphSession(`op:${op}`, () => singleOpModel(op, '', [{ name: 'X', dims: ['r', 'c'] }], [{ name: 'Y', dims: ['r', 'c'] }], attrs));
}

async function run(op: string, out: Float32Array, x: Float32Array, rows: number, cols: number): Promise<void> {
  const n = rows * cols;
  if (x.length < n || out.length < n) throw new Error(`${op}: buffers shorter than ${rows} x ${cols}`);
  const s = await session(op);
  const tx = new ort.Tensor('float32', x.length === n ? x : x.subarray(0, n), [rows, cols]);
  const ty = new ort.Tensor('float32', out.length === n ? out : out.subarray(0, n), [rows, cols]);
  await s.run({ X: tx }, { Y: ty });
}

/** out [rows, cols] = softmax over each row of x [rows, cols] (out may not alias x). */
export function ortSoftmax(out: Float32Array, x: Float32Array, rows: number, cols: number): Promise<void> {
  return run('Softmax', out, x, rows, cols);
}

/** out [n] = 1 / (1 + exp(-x)) (out may not alias x). */
export function ortSigmoid(out: Float32Array, x: Float32Array, n: number): Promise<void> {
  return run('Sigmoid', out, x, 1, n);
}

/** A cached ORT session for a small graph, by name and thread count (element-wise graphs: the small-op threads). */
export function graphSession(name: string, build: () => Uint8Array, threads = smallOpThreads()): Promise<EngineSession> {
  return cachedSession(name, build, threads);
}

const t2 = (data: Float32Array, rows: number, cols: number): ort.Tensor => {
  const n = rows * cols;
  if (data.length < n) throw new Error(`ort_ops: buffer of ${data.length} shorter than ${rows} x ${cols}`);
  return new ort.Tensor('float32', data.length === n ? data : data.subarray(0, n), [rows, cols]);
};

/** h [N, I] = silu(gate) * up with gu [N, 2I] = gate | up per row (one ORT graph: split, sigmoid, two products). */
export async function ortSwiglu(h: Float32Array, gu: Float32Array, N: number, I: number): Promise<void> {
  const s = await graphSession('swiglu', () => graphModel([
    { op: 'Split', inputs: ['GU'], outputs: ['G', 'U'], attrs: [{ name: 'axis', int: 1 }] },
    { op: 'Sigmoid', inputs: ['G'], outputs: ['S'] },
    { op: 'Mul', inputs: ['G', 'S'], outputs: ['A'] },
    { op: 'Mul', inputs: ['A', 'U'], outputs: ['H'] },
  ], [{ name: 'GU', dims: ['n', 'i2'] }], [{ name: 'H', dims: ['n', 'i'] }]));
  await s.run({ GU: t2(gu, N, 2 * I) }, { H: t2(h, N, I) });
}

/** SwiGLU backward's graph (ortSwigluBackward). */
const SWIGLU_BWD: OnnxNode[] = [
  { op: 'Split', inputs: ['GU'], outputs: ['G', 'U'], attrs: [{ name: 'axis', int: 1 }] },
  { op: 'Sigmoid', inputs: ['G'], outputs: ['S'] },
  { op: 'Mul', inputs: ['G', 'S'], outputs: ['A'] },
  { op: 'Mul', inputs: ['DH', 'A'], outputs: ['DU'] },
  { op: 'Sub', inputs: ['G', 'A'], outputs: ['GmA'] },     // g (1 - s)
  { op: 'Mul', inputs: ['S', 'GmA'], outputs: ['C1'] },    // s g (1 - s)
  { op: 'Add', inputs: ['S', 'C1'], outputs: ['E'] },      // s + g s (1 - s)
  { op: 'Mul', inputs: ['U', 'E'], outputs: ['UE'] },
  { op: 'Mul', inputs: ['DH', 'UE'], outputs: ['DG'] },
  { op: 'Concat', inputs: ['DG', 'DU'], outputs: ['DGU'], attrs: [{ name: 'axis', int: 1 }] },
];

/**
 * dgu [N, 2I] (overwritten) from dh [N, I] and gu [N, 2I] (sigmoid recomputed): d up = dh * silu(g),
 * d gate = dh * up * (s + g * s * (1 - s)) with s = sigmoid(g).
 */
export async function ortSwigluBackward(dgu: Float32Array, dh: Float32Array, gu: Float32Array, N: number, I: number): Promise<void> {
  const s = await graphSession('swiglu_bwd', () => graphModel(SWIGLU_BWD,
    [{ name: 'GU', dims: ['n', 'i2'] }, { name: 'DH', dims: ['n', 'i'] }], [{ name: 'DGU', dims: ['n', 'i2'] }]));
  await s.run({ GU: t2(gu, N, 2 * I), DH: t2(dh, N, I) }, { DGU: t2(dgu, N, 2 * I) });
}

/** out [rows, cols] = k * softmax over each row of x [rows, cols] (one ORT graph; out may not alias x). */
export async function ortScaledSoftmax(out: Float32Array, x: Float32Array, rows: number, cols: number, k: number): Promise<void> {
  const s = await graphSession('scaled_softmax', () => graphModel([
    { op: 'Softmax', inputs: ['X'], outputs: ['P'], attrs: [{ name: 'axis', int: -1 }] },
    { op: 'Mul', inputs: ['P', 'K'], outputs: ['Y'] },
  ], [{ name: 'X', dims: ['r', 'c'] }, { name: 'K', dims: [1] }], [{ name: 'Y', dims: ['r', 'c'] }]));
  await s.run({ X: t2(x, rows, cols), K: new ort.Tensor('float32', new Float32Array([k]), [1]) }, { Y: t2(out, rows, cols) });
}

let ones = new Float32Array(0);
/** n ones (one grow-only buffer shared by the graphs that sum rows or columns with a MatMul). */
function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones.length === n ? ones : ones.subarray(0, n);
}
let invCol = new Float32Array(0);
/** [C] filled with 1 / C (row means as a MatMul). */
function invColOf(C: number): Float32Array {
  if (invCol.length !== C) invCol = new Float32Array(C).fill(1 / C);
  return invCol;
}

/**
 * Residual add + RMSNorm forward in one ORT graph: xs [N, C] = a + b, rstd [N] = 1 / sqrt(mean(xs^2) + eps),
 * out [N, C] = (xs * rstd) * w. Float32 throughout (the mean is a float32 GEMV).
 */
export async function ortResidualRmsnorm(xs: Float32Array, out: Float32Array, rstd: Float32Array, a: Float32Array, b: Float32Array, w: Float32Array, N: number, C: number, eps: number): Promise<void> {
  const s = await graphSession('residual_rmsnorm', () => graphModel([
    { op: 'Add', inputs: ['A', 'B'], outputs: ['XS'] },
    { op: 'Mul', inputs: ['XS', 'XS'], outputs: ['SQ'] },
    { op: 'MatMul', inputs: ['SQ', 'INVC'], outputs: ['MS'] },    // mean(xs^2) per row [n, 1]
    { op: 'Add', inputs: ['MS', 'EPS'], outputs: ['ME'] },
    { op: 'Sqrt', inputs: ['ME'], outputs: ['SD'] },
    { op: 'Reciprocal', inputs: ['SD'], outputs: ['RSTD'] },
    { op: 'Mul', inputs: ['XS', 'RSTD'], outputs: ['XN'] },
    { op: 'Mul', inputs: ['XN', 'W'], outputs: ['Y'] },
  ], [{ name: 'A', dims: ['n', 'c'] }, { name: 'B', dims: ['n', 'c'] }, { name: 'W', dims: ['c'] }, { name: 'INVC', dims: ['c', 1] }, { name: 'EPS', dims: [1] }],
  [{ name: 'XS', dims: ['n', 'c'] }, { name: 'Y', dims: ['n', 'c'] }, { name: 'RSTD', dims: ['n', 1] }]));
  const e = new Float32Array([eps]);
  await s.run({ A: t2(a, N, C), B: t2(b, N, C), W: new ort.Tensor('float32', w.length === C ? w : w.subarray(0, C), [C]), INVC: t2(invColOf(C), C, 1), EPS: new ort.Tensor('float32', e, [1]) },
    { XS: t2(xs, N, C), Y: t2(out, N, C), RSTD: t2(rstd, N, 1) });
}

/**
 * RMSNorm backward in one ORT graph, accumulating: dx [N, C] += s * (g - xh * mean(g * xh)) with g = dout * w,
 * xh = x * s; dw [C] += column sums of dout * xh. dout [N, C], x [N, C], w [C], rstd [N] (s per row).
 */
export async function ortRmsnormBackward(dx: Float32Array, dw: Float32Array, dout: Float32Array, x: Float32Array, w: Float32Array, rstd: Float32Array, N: number, C: number): Promise<void> {
  const s = await graphSession('rmsnorm_bwd', () => graphModel([
    { op: 'Mul', inputs: ['X', 'RSTD'], outputs: ['XH'] },
    { op: 'Mul', inputs: ['DOUT', 'W'], outputs: ['G'] },
    { op: 'Mul', inputs: ['G', 'XH'], outputs: ['P'] },
    { op: 'MatMul', inputs: ['P', 'INVC'], outputs: ['M'] },      // mean(g * xh) per row [n, 1]
    { op: 'Mul', inputs: ['XH', 'M'], outputs: ['T1'] },
    { op: 'Sub', inputs: ['G', 'T1'], outputs: ['T2'] },
    { op: 'Mul', inputs: ['T2', 'RSTD'], outputs: ['T3'] },
    { op: 'Add', inputs: ['DXIN', 'T3'], outputs: ['DX'] },
    { op: 'Mul', inputs: ['DOUT', 'XH'], outputs: ['DWP'] },
    { op: 'MatMul', inputs: ['ONESN', 'DWP'], outputs: ['DW'] },  // column sums [1, c]
  ], [{ name: 'X', dims: ['n', 'c'] }, { name: 'DOUT', dims: ['n', 'c'] }, { name: 'W', dims: ['c'] }, { name: 'RSTD', dims: ['n', 1] },
    { name: 'DXIN', dims: ['n', 'c'] }, { name: 'INVC', dims: ['c', 1] }, { name: 'ONESN', dims: [1, 'n'] }],
  [{ name: 'DX', dims: ['n', 'c'] }, { name: 'DW', dims: [1, 'c'] }]));
  const dwPart = new Float32Array(C);
  await s.run({
    X: t2(x, N, C), DOUT: t2(dout, N, C), W: new ort.Tensor('float32', w.length === C ? w : w.subarray(0, C), [C]), RSTD: t2(rstd, N, 1),
    DXIN: t2(dx, N, C), INVC: t2(invColOf(C), C, 1), ONESN: t2(onesOf(N), 1, N),
  }, { DX: t2(dx, N, C), DW: t2(dwPart, 1, C) });
  for (let c = 0; c < C; c++) dw[c]! += dwPart[c]!;
}

/** ds [R, T] = p * (dp - rowsum(dp * p)) over rows of p, dp [R, T] (softmax backward; ds may alias dp: written last). */
export async function ortSoftmaxBackward(ds: Float32Array, dp: Float32Array, p: Float32Array, R: number, T: number): Promise<void> {
  const s = await graphSession('softmax_bwd', () => graphModel([
    { op: 'Mul', inputs: ['DP', 'P'], outputs: ['X'] },
    { op: 'MatMul', inputs: ['X', 'ONES'], outputs: ['R'] },  // row sums [r, 1]
    { op: 'Sub', inputs: ['DP', 'R'], outputs: ['Y'] },
    { op: 'Mul', inputs: ['P', 'Y'], outputs: ['DS'] },
  ], [{ name: 'DP', dims: ['r', 't'] }, { name: 'P', dims: ['r', 't'] }, { name: 'ONES', dims: ['t', 1] }], [{ name: 'DS', dims: ['r', 't'] }]));
  await s.run({ DP: t2(dp, R, T), P: t2(p, R, T), ONES: t2(onesOf(T), T, 1) }, { DS: t2(ds, R, T) });
}

/**
 * Row ranges of at most CHUNK_FLOATS values each, for the two vocabulary-wide graphs below: they hold two
 * intermediates the size of their input, kept by the session's arena, so whole batches (SmolLM's 49152-token
 * vocabulary x 512 rows: 100 MB each) would stay resident as peak memory.
 */
const CHUNK_FLOATS = 1 << 20;
function rowChunks(R: number, V: number): [number, number][] {
  const rows = Math.max(1, Math.floor(CHUNK_FLOATS / V)), out: [number, number][] = [];
  for (let r = 0; r < R; r += rows) out.push([r, Math.min(R, r + rows)]);
  return out;
}

/** lse [R] = log(sum(exp(x))) over each row of x [R, V] (ORT graphs over row chunks: max, shifted exp, sum, log; float32). */
export async function ortRowLogSumExp(lse: Float32Array, x: Float32Array, R: number, V: number): Promise<void> {
  const s = await graphSession('row_lse', () => graphModel([
    { op: 'ReduceMax', inputs: ['X'], outputs: ['M'], attrs: [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: 1 }] },
    { op: 'Sub', inputs: ['X', 'M'], outputs: ['D'] },
    { op: 'Exp', inputs: ['D'], outputs: ['E'] },
    { op: 'MatMul', inputs: ['E', 'ONES'], outputs: ['S'] }, // row sums [r, 1]
    { op: 'Log', inputs: ['S'], outputs: ['LS'] },
    { op: 'Add', inputs: ['LS', 'M'], outputs: ['L'] },
  ], [{ name: 'X', dims: ['r', 'v'] }, { name: 'ONES', dims: ['v', 1] }], [{ name: 'L', dims: ['r', 1] }]));
  for (const [a, b] of rowChunks(R, V)) {
    await s.run({ X: t2(x.subarray(a * V, b * V), b - a, V), ONES: t2(onesOf(V), V, 1) }, { L: t2(lse.subarray(a, b), b - a, 1) });
  }
}

/** out [R, V] = g[r] * exp(x - lse[r]) (g times each row's softmax, from its log-sum-exp; row chunks); out may alias x. */
export async function ortScaledSoftmaxFromLse(out: Float32Array, x: Float32Array, lse: Float32Array, g: Float32Array, R: number, V: number): Promise<void> {
  const s = await graphSession('scaled_softmax_lse', () => graphModel([
    { op: 'Sub', inputs: ['X', 'L'], outputs: ['D'] },
    { op: 'Exp', inputs: ['D'], outputs: ['E'] },
    { op: 'Mul', inputs: ['E', 'G'], outputs: ['Y'] },
  ], [{ name: 'X', dims: ['r', 'v'] }, { name: 'L', dims: ['r', 1] }, { name: 'G', dims: ['r', 1] }], [{ name: 'Y', dims: ['r', 'v'] }]));
  for (const [a, b] of rowChunks(R, V)) {
    const n = b - a;
    await s.run({ X: t2(x.subarray(a * V, b * V), n, V), L: t2(lse.subarray(a, b), n, 1), G: t2(g.subarray(a, b), n, 1) }, { Y: t2(out.subarray(a * V, b * V), n, V) });
  }
}
