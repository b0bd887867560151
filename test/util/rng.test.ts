import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { dropoutForward } from '../../src/model/dropout_wasm.js';

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.nextU32());
  const xb = Array.from({ length: 5 }, () => b.nextU32());
  const xc = Array.from({ length: 5 }, () => c.nextU32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
});

test('uniform floats have mean near 1/2 and state round-trips', () => {
  const r = new Rng(7);
  let s = 0;
  const n = 100000;
  for (let i = 0; i < n; i++) s += r.next();
  // standard error of the mean of U(0,1) is 1/sqrt(12 n) ~ 0.0009; 5 sigma
  assert.ok(Math.abs(s / n - 0.5) < 0.005, `mean ${s / n}`);
  const st = r.state();
  const r2 = Rng.fromState(st);
  assert.equal(r.nextU32(), r2.nextU32());
});

test('keepMask draws exactly what next() >= p would, and leaves the stream at the same place', () => {
  for (const p of [0, 0.05, 0.1, 0.5, 0.999]) {
    const a = new Rng(9), b = new Rng(9), n = 10_003, keep = new Uint8Array(n);
    a.keepMask(keep, n, p);
    for (let i = 0; i < n; i++) assert.equal(keep[i], b.next() >= p ? 1 : 0, `p ${p}, draw ${i}`);
    assert.equal(a.nextU32(), b.nextU32());
  }
  assert.throws(() => new Rng(1).keepMask(new Uint8Array(3), 4, 0.5), /shorter than 4/);
});

test('dropoutForward (WebAssembly) equals keepMask and the TypeScript product bitwise, across chunk boundaries', () => {
  for (const [n, p] of [[1, 0.05], [10_003, 0.5], [(1 << 20) + 7, 0.05], [1000, 0], [1000, 0.999]] as const) {
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3); // negative values too: x * 0 is -0
    const a = new Rng(42), b = new Rng(42);
    const keepA = new Uint8Array(n), xdA = new Float32Array(n), keepB = new Uint8Array(n), xdB = new Float32Array(n);
    a.keepMask(keepA, n, p);
    const inv = 1 / (1 - p);
    for (let i = 0; i < n; i++) xdA[i] = x[i]! * (keepA[i]! * inv);
    dropoutForward(b, keepB, xdB, x, n, p);
    assert.deepEqual(keepB, keepA, `keep n ${n} p ${p}`);
    for (let i = 0; i < n; i++) if (!Object.is(xdA[i], xdB[i])) assert.fail(`xd[${i}] ${xdB[i]} vs ${xdA[i]} (n ${n} p ${p})`);
    assert.equal(b.nextU32(), a.nextU32(), 'the stream continues at the same place');
  }
  assert.throws(() => dropoutForward(new Rng(1), new Uint8Array(3), new Float32Array(4), new Float32Array(4), 4, 0.5), /shorter than 4/);
});
