import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';

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
