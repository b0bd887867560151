// The attention input's head split with RoPE (qkv rows -> rotated q, k and v in head-major layout) and its
// gradient, with the rotation in WebAssembly SIMD. Not the RoPE definition: rope.ts is (tables, ropeRotate), and this
// computes exactly what ropeRotate computes: each output x1 c - x2 s / x2 c + x1 s in double precision, rounded once
// to float32, two lanes at a time (f64x2).
// Small config (B 4, T 256, 4 + 2 heads of 64): see docs/engine.md for the times against the TypeScript loops.

import { lazyKernel, memoryModule, uleb } from '../../util/wasm.js';

/**
 * rot(src, dst, cs, sn, hb, sign, count, srcStep, dstStep), byte pointers, hb = half a head in bytes (a multiple of
 * 8), for `count` head vectors (src, dst advancing by their steps, the tables by one row of hb bytes): for i < hb
 * step 8, two lanes: x1 = src[i], x2 = src[hb + i], c = cs[i], s = sign * sn[i];
 * dst[i] = f32(x1 c - x2 s), dst[hb + i] = f32(x2 c + x1 s) (dst may be src).
 * mov(dst, src, n, count, dstStep, srcStep): `count` memory.copy calls of n bytes.
 */
function moduleBytes(): Uint8Array {
  const lg = (i: number) => [0x20, i], ls = (i: number) => [0x21, i];
  const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
  const load2 = [...simd(0x5d, 3, 0), ...simd(0x5f)];          // v128.load64_zero, f64x2.promote_low_f32x4
  const store2 = [...simd(0x5e), ...simd(0x5b, 3, 0, 0)];       // f32x4.demote_f64x2_zero, v128.store64_lane 0
  const add = simd(0xf0), sub = simd(0xf1), mul = simd(0xf2);
  const bump = (p: number, step: number[]) => [...lg(p), ...step, 0x6a, ...ls(p)];
  // params: 0 src, 1 dst, 2 cs, 3 sn, 4 hb (i32), 5 sign (f64), 6 count, 7 srcStep, 8 dstStep (i32);
  // locals: 9 i (i32), 10 x1, 11 x2, 12 c, 13 s, 14 sign2 (v128)
  const I = 9, X1 = 10, X2 = 11, C = 12, S = 13, SG = 14;
  const at = (base: number, plusHalf = false) => [...lg(base), ...lg(I), 0x6a, ...(plusHalf ? [...lg(4), 0x6a] : [])];
  const rot = [
    ...lg(5), ...simd(0x14), ...ls(SG),                                          // f64x2.splat(sign)
    0x02, 0x40, 0x03, 0x40,
    ...lg(6), 0x45, 0x0d, 1,                                                     // if count == 0 break
    0x41, 0, ...ls(I),
    0x02, 0x40, 0x03, 0x40,
    ...lg(I), ...lg(4), 0x4f, 0x0d, 1,                                           // if i >= hb break
    ...at(0), ...load2, ...ls(X1), ...at(0, true), ...load2, ...ls(X2),
    ...at(2), ...load2, ...ls(C), ...at(3), ...load2, ...lg(SG), ...mul, ...ls(S),
    ...at(1), ...lg(X1), ...lg(C), ...mul, ...lg(X2), ...lg(S), ...mul, ...sub, ...store2,
    ...at(1, true), ...lg(X2), ...lg(C), ...mul, ...lg(X1), ...lg(S), ...mul, ...add, ...store2,
    ...lg(I), 0x41, 8, 0x6a, ...ls(I),
    0x0c, 0,
    0x0b, 0x0b,
    ...bump(0, lg(7)), ...bump(1, lg(8)), ...bump(2, lg(4)), ...bump(3, lg(4)),
    ...lg(6), 0x41, 1, 0x6b, ...ls(6),                                           // count -= 1
    0x0c, 0,
    0x0b, 0x0b, 0x0b,
  ];
  // mov params: 0 dst, 1 src, 2 n, 3 count, 4 dstStep, 5 srcStep
  const mov = [
    0x02, 0x40, 0x03, 0x40,
    ...lg(3), 0x45, 0x0d, 1,
    ...lg(0), ...lg(1), ...lg(2), 0xfc, ...uleb(10), 0, 0,
    ...bump(0, lg(4)), ...bump(1, lg(5)),
    ...lg(3), 0x41, 1, 0x6b, ...ls(3),
    0x0c, 0,
    0x0b, 0x0b, 0x0b,
  ];
  return memoryModule([
    { name: 'rot', params: [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c, 0x7f, 0x7f, 0x7f], body: [2, 1, 0x7f, 5, 0x7b, ...rot] },
    { name: 'mov', params: [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f], body: [0, ...mov] },
  ]);
}

/** Floats of wasm memory per call (rows are processed in chunks that fit). */
const FLOATS = 1 << 21;

interface Kernel {
  rot: (src: number, dst: number, cs: number, sn: number, hb: number, sign: number, count: number, srcStep: number, dstStep: number) => void;
  mov: (dst: number, src: number, n: number, count: number, dstStep: number, srcStep: number) => void;
  f32: Float32Array;
}
const instance = lazyKernel(moduleBytes, FLOATS * 4, (ex, buf): Kernel =>
  ({ rot: ex.rot as Kernel['rot'], mov: ex.mov as Kernel['mov'], f32: new Float32Array(buf) }));

/** Rows per chunk and the chunk's float offsets: rows [R, W], heads [NH + 2 NKV, R, HS], tables [R, HS/2] x 2. */
function layout(W: number, HS: number): { R: number; rows: number; heads: number; cos: number; sin: number } | null {
  const R = Math.floor(FLOATS / (2 * W + HS));
  if (R < 1) return null;
  return { R, rows: 0, heads: R * W, cos: 2 * R * W, sin: 2 * R * W + R * (HS / 2) };
}

/**
 * q [B, NH, T, HS], k, v [B, NKV, T, HS] from qkv [B*T, Q + 2KV] with q, k rotated by the [B*T, HS/2] tables: what
 * model.ts's TypeScript split computes, bitwise. false (nothing written) where WebAssembly is missing or HS / 2 is
 * odd: the caller runs the TypeScript loops.
 */
export function splitHeadsRopeWasm(q: Float32Array, k: Float32Array, v: Float32Array, qkv: Float32Array, cos: Float32Array, sin: Float32Array,
  B: number, T: number, NH: number, NKV: number, HS: number): boolean {
  return run(true, qkv, [q, k, v], cos, sin, B, T, NH, NKV, HS);
}

/** dqkv [B*T, Q + 2KV] (overwritten) from dq, dk (rotated back) and dv: the split's gradient, bitwise as TypeScript's. */
export function joinHeadsRopeWasm(dqkv: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, cos: Float32Array, sin: Float32Array,
  B: number, T: number, NH: number, NKV: number, HS: number): boolean {
  return run(false, dqkv, [dq, dk, dv], cos, sin, B, T, NH, NKV, HS);
}

function run(split: boolean, rowsBuf: Float32Array, heads: [Float32Array, Float32Array, Float32Array], cos: Float32Array, sin: Float32Array,
  B: number, T: number, NH: number, NKV: number, HS: number): boolean {
  const half = HS / 2, Q = NH * HS, KV = NKV * HS, W = Q + 2 * KV, kr = instance(), lay = layout(W, HS);
  if (!kr || half % 2 !== 0 || !lay) return false;
  const { f32, rot, mov } = kr, { R } = lay, hb = half * 4;
  // Head groups: [first head in the row, heads, output buffer, heads before it in the chunk's head region]
  const groups: [number, number, Float32Array, number][] = [[0, NH, heads[0], 0], [Q, NKV, heads[1], NH], [Q + KV, NKV, heads[2], NH + NKV]];
  for (let b = 0; b < B; b++) {
    for (let t0 = 0; t0 < T; t0 += R) {
      const n = Math.min(R, T - t0), r0 = b * T + t0;
      f32.set(cos.subarray(r0 * half, (r0 + n) * half), lay.cos);
      f32.set(sin.subarray(r0 * half, (r0 + n) * half), lay.sin);
      if (split) f32.set(rowsBuf.subarray(r0 * W, (r0 + n) * W), lay.rows);
      else {
        for (const [, H, buf, h0] of groups) {
          for (let h = 0; h < H; h++) f32.set(buf.subarray(((b * H + h) * T + t0) * HS, ((b * H + h) * T + t0 + n) * HS), lay.heads + (h0 + h) * R * HS);
        }
      }
      for (const [c0, H, , h0] of groups) {
        for (let h = 0; h < H; h++) {
          // n head vectors: a row step of W floats on the rows side, HS on the heads side
          const rowAt = (lay.rows + c0 + h * HS) * 4, headAt = (lay.heads + (h0 + h) * R * HS) * 4;
          const [src, dst, srcStep, dstStep] = split ? [rowAt, headAt, W * 4, HS * 4] : [headAt, rowAt, HS * 4, W * 4];
          if (c0 === Q + KV) mov(dst, src, HS * 4, n, dstStep, srcStep);
          else rot(src, dst, lay.cos * 4, lay.sin * 4, hb, split ? 1 : -1, n, srcStep, dstStep);
        }
      }
      if (!split) rowsBuf.set(f32.subarray(lay.rows, lay.rows + n * W), r0 * W);
      else {
        for (const [, H, buf, h0] of groups) {
          for (let h = 0; h < H; h++) buf.set(f32.subarray(lay.heads + (h0 + h) * R * HS, lay.heads + ((h0 + h) * R + n) * HS), ((b * H + h) * T + t0) * HS);
        }
      }
    }
  }
  return true;
}
