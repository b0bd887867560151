// Vectorised element-wise operators through onnxruntime (MLAS): row softmax, sigmoid, SwiGLU and softmax backward.
// Not for float64: callers keep a TypeScript path for the float64 reference tests.

import * as ort from 'onnxruntime-node';
import { ortSession } from '../gemm.js';
import { graphModel, singleOpModel, type OnnxNode } from './onnx_proto.js';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(op: string): Promise<ort.InferenceSession> {
  let s = sessions.get(op);
  if (!s) {
    const attrs = op === 'Softmax' ? [{ name: 'axis', int: -1 }] : [];
    s = ortSession(singleOpModel(op, '', [{ name: 'X', dims: ['r', 'c'] }], [{ name: 'Y', dims: ['r', 'c'] }], attrs));
    sessions.set(op, s);
  }
  return s;
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

const graphs = new Map<string, Promise<ort.InferenceSession>>();

function graphSession(key: string, build: () => Uint8Array): Promise<ort.InferenceSession> {
  let s = graphs.get(key);
  if (!s) { s = ortSession(build()); graphs.set(key, s); }
  return s;
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

/**
 * dgu [N, 2I] (overwritten) from dh [N, I] and gu [N, 2I] (sigmoid recomputed): d up = dh * silu(g),
 * d gate = dh * up * (s + g * s * (1 - s)) with s = sigmoid(g).
 */
export async function ortSwigluBackward(dgu: Float32Array, dh: Float32Array, gu: Float32Array, N: number, I: number): Promise<void> {
  const nodes: OnnxNode[] = [
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
  const s = await graphSession('swiglu_bwd', () => graphModel(nodes,
    [{ name: 'GU', dims: ['n', 'i2'] }, { name: 'DH', dims: ['n', 'i'] }], [{ name: 'DGU', dims: ['n', 'i2'] }]));
  await s.run({ GU: t2(gu, N, 2 * I), DH: t2(dh, N, I) }, { DGU: t2(dgu, N, 2 * I) });
}

let ones = new Float32Array(0);

/** ds [R, T] = p * (dp - rowsum(dp * p)) over rows of p, dp [R, T] (softmax backward; ds may alias dp: written last). */
export async function ortSoftmaxBackward(ds: Float32Array, dp: Float32Array, p: Float32Array, R: number, T: number): Promise<void> {
  const s = await graphSession('softmax_bwd', () => graphModel([
    { op: 'Mul', inputs: ['DP', 'P'], outputs: ['X'] },
    { op: 'MatMul', inputs: ['X', 'ONES'], outputs: ['R'] },  // row sums [r, 1]
    { op: 'Sub', inputs: ['DP', 'R'], outputs: ['Y'] },
    { op: 'Mul', inputs: ['P', 'Y'], outputs: ['DS'] },
  ], [{ name: 'DP', dims: ['r', 't'] }, { name: 'P', dims: ['r', 't'] }, { name: 'ONES', dims: ['t', 1] }], [{ name: 'DS', dims: ['r', 't'] }]));
  if (ones.length !== T) ones = new Float32Array(T).fill(1);
  await s.run({ DP: t2(dp, R, T), P: t2(p, R, T), ONES: t2(ones, T, 1) }, { DS: t2(ds, R, T) });
}
