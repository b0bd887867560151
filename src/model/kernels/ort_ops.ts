// Vectorised element-wise operators through onnxruntime (MLAS): row softmax and sigmoid over float32 buffers.
// Not for float64: callers keep a TypeScript path for the float64 reference tests.

import * as ort from 'onnxruntime-node';
import { ortSession } from '../gemm.js';
import { singleOpModel } from './onnx_proto.js';

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
