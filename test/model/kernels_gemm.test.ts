import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { matmul, matmulRef, gemmSettings } from '../../src/model/gemm.js';
import { relErr } from './engine_helpers.js';

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

test('reference GEMM matches a hand-computed 2x2 product, transposes and alpha', () => {
  const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]), out = new Float32Array(4);
  matmulRef(out, a, b, 2, 2, 2);
  assert.deepEqual([...out], [19, 22, 43, 50]);
  matmulRef(out, a, b, 2, 2, 2, { transA: true, transB: true, alpha: 2 }); // 2 * A^T B^T
  assert.deepEqual([...out], [2 * 23, 2 * 31, 2 * 34, 2 * 46]);
});

test('ORT GEMM agrees with the reference GEMM (transposes, alpha, batch, shared B, accumulate, offset views)', async () => {
  const saved = gemmSettings.refBelowFlops;
  gemmSettings.refBelowFlops = 0; // force the ORT path even for small shapes
  try {
    const rng = new Rng(11);
    for (const [M, N, K] of [[7, 5, 3], [64, 48, 80], [130, 3, 257]] as const) {
      for (const transA of [false, true]) for (const transB of [false, true]) for (const batch of [1, 3]) for (const bBatched of [true, false]) {
        if (batch === 1 && !bBatched) continue;
        const opts = { transA, transB, batch, bBatched, alpha: transA ? 0.5 : 1 };
        const a = rand(rng, batch * M * K + 3).subarray(3), b = rand(rng, (bBatched ? batch : 1) * K * N);
        const want = new Float32Array(batch * M * N), got = new Float32Array(batch * M * N + 2).subarray(2);
        matmulRef(want, a, b, M, N, K, opts);
        await matmul(got, a, b, M, N, K, opts);
        // fp32 accumulation over K <= 257 terms of unit normals: ~1e-6 relative to the largest entry.
        assert.ok(relErr(got, want) < 2e-5, `M${M} N${N} K${K} ${JSON.stringify(opts)}: ${relErr(got, want)}`);
        const acc = want.map((x) => x + 1), got2 = new Float32Array(want.length).fill(1);
        await matmul(got2, a, b, M, N, K, { ...opts, accumulate: true });
        assert.ok(relErr(got2, acc) < 2e-5);
      }
    }
  } finally {
    gemmSettings.refBelowFlops = saved;
  }
});

test('GEMM rejects buffers that are too small', async () => {
  await assert.rejects(matmul(new Float32Array(3), new Float32Array(4), new Float32Array(4), 2, 2, 2), /too small/);
});
