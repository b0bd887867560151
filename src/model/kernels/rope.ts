// Rotary position embeddings as transformers applies them (rotate_half over the two halves of each head), with
// Llama-3 frequency scaling. Not a cache: callers build cos/sin tables for the positions they need.

import type { Llama3RopeScaling } from '../config.js';
import type { Vec } from './types.js';

const f32 = Math.fround;

/**
 * inv_freq [HS/2] like transformers' _compute_default_rope_parameters / _compute_llama3_parameters, rounded to
 * float32 the way torch computes it, so angles match transformers closely.
 */
export function ropeInvFreq(HS: number, theta: number, scaling: Llama3RopeScaling | null): Float64Array {
  const half = HS / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = f32(1 / f32(Math.pow(theta, f32((2 * i) / HS))));
  if (!scaling) return inv;
  const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: old } = scaling;
  const lowWavelen = old / lo, highWavelen = old / hi;
  for (let i = 0; i < half; i++) {
    const f = inv[i]!, wavelen = (2 * Math.PI) / f;
    let v = wavelen > lowWavelen ? f / factor : f;
    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
      const smooth = (old / wavelen - lo) / (hi - lo);
      v = (1 - smooth) * (v / factor) + smooth * v;
    }
    inv[i] = f32(v);
  }
  return inv;
}

/** cos, sin [N, HS/2] for positions [N]: angle = float32(pos * inv_freq[i]). */
export function ropeTables(cos: Vec, sin: Vec, positions: Int32Array, invFreq: Float64Array, N: number): void {
  const half = invFreq.length;
  for (let n = 0; n < N; n++) {
    const p = positions[n]!;
    for (let i = 0; i < half; i++) {
      const a = f32(p * invFreq[i]!);
      cos[n * half + i] = Math.cos(a);
      sin[n * half + i] = Math.sin(a);
    }
  }
}

/**
 * In place on x [B, H, T, HS] with tables [B*T, HS/2]: (x1, x2) -> (x1 c - x2 s, x2 c + x1 s).
 * `inverse` rotates by the negative angle, which is the backward pass (the rotation is orthogonal).
 */
export function ropeApply(x: Vec, cos: Vec, sin: Vec, B: number, H: number, T: number, HS: number, inverse: boolean): void {
  const half = HS / 2, sg = inverse ? -1 : 1;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) ropeRotate(x, ((b * H + h) * T + t) * HS, x, ((b * H + h) * T + t) * HS, cos, sin, (b * T + t) * half, HS, sg);
    }
  }
}

/**
 * One head vector: dst[d0 .. d0+HS) = src[s0 .. s0+HS) rotated by the angles at table row offset tr (sg = -1: the
 * inverse). dst may be src (in place: each pair is read before it is written).
 */
export function ropeRotate(dst: Vec, d0: number, src: Vec, s0: number, cos: Vec, sin: Vec, tr: number, HS: number, sg: number): void {
  const half = HS / 2;
  for (let i = 0; i < half; i++) {
    const c = cos[tr + i]!, s = sg * sin[tr + i]!, x1 = src[s0 + i]!, x2 = src[s0 + half + i]!;
    dst[d0 + i] = x1 * c - x2 * s;
    dst[d0 + half + i] = x2 * c + x1 * s;
  }
}

/** Copies n floats src[so..] -> dst[do..] (plain loop: no subarray allocation in the hot path). */
function copy(dst: Float32Array, d0: number, src: Float32Array, s0: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d0 + i] = src[s0 + i]!;
}

/**
 * qkv [N, Q + 2KV] rows (b, t) -> q [B, NH, T, HS], k, v [B, NKV, T, HS], with RoPE applied on the way (one pass):
 * q, k rotated by the [N, HS/2] tables exactly as ropeApply computes it, v copied.
 */
export function splitHeadsRope(q: Float32Array, k: Float32Array, v: Float32Array, qkv: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, NH: number, NKV: number, HS: number): void {
  const Q = NH * HS, KV = NKV * HS, W = Q + 2 * KV;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = (b * T + t) * W, tr = (b * T + t) * (HS / 2);
      for (let h = 0; h < NH; h++) ropeRotate(q, ((b * NH + h) * T + t) * HS, qkv, r + h * HS, cos, sin, tr, HS, 1);
      for (let h = 0; h < NKV; h++) {
        const o = ((b * NKV + h) * T + t) * HS;
        ropeRotate(k, o, qkv, r + Q + h * HS, cos, sin, tr, HS, 1);
        copy(v, o, qkv, r + Q + KV + h * HS, HS);
      }
    }
  }
}

/** Gradient of splitHeadsRope: dqkv [N, Q + 2KV] from dq, dk (rotated back) and dv. */
export function joinHeadsRope(dqkv: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, cos: Float32Array, sin: Float32Array, B: number, T: number, NH: number, NKV: number, HS: number): void {
  const Q = NH * HS, KV = NKV * HS, W = Q + 2 * KV;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = (b * T + t) * W, tr = (b * T + t) * (HS / 2);
      for (let h = 0; h < NH; h++) ropeRotate(dqkv, r + h * HS, dq, ((b * NH + h) * T + t) * HS, cos, sin, tr, HS, -1);
      for (let h = 0; h < NKV; h++) {
        const o = ((b * NKV + h) * T + t) * HS;
        ropeRotate(dqkv, r + Q + h * HS, dk, o, cos, sin, tr, HS, -1);
        copy(dqkv, r + Q + KV + h * HS, dv, o, HS);
      }
    }
  }
}
