// Inverted dropout's forward pass in WebAssembly: the keep mask drawn from radpo's Rng (xoshiro128**, the same
// numbers and stream position as Rng.keepMask) and xd = x * keep / (1 - p), in one pass. Not the dropout policy:
// LoRA (lora.ts) decides where masks go; this only makes the draws fast.
// LoRA's dropout draws one mask value per input element per adapted projection: ~77M per forward on the SmolLM-135M
// shape at T 512, which took ~0.8 s of a 1.0 s adapter forward in TypeScript (the generator's unsigned 32-bit steps
// run as doubles there); integer arithmetic in WebAssembly does them natively. Numbers: docs/engine.md.

import { lazyKernel, memoryModule, uleb } from '../util/wasm.js';
import type { Rng } from '../util/rng.js';

/** Elements per call into the module (x and xd: 4 MiB each, keep: 1 MiB). */
const CHUNK = 1 << 20;

/**
 * dropout(x, xd, keep, n, thr, inv, st) over byte pointers: for i < n, one xoshiro128** step on the state at st
 * (s0..s3, written back at the end), u = its output, k = u >= thr (unsigned), keep[i] = k,
 * xd[i] = f32(f64(x[i]) * (k ? inv : 0)) (as TypeScript's x * (keep * inv) rounds).
 */
function moduleBytes(): Uint8Array {
  const lg = (i: number) => [0x20, i], ls = (i: number) => [0x21, i];
  const i32c = (v: number) => [0x41, ...uleb(v)]; // small non-negative constants only
  const load32 = (off: number) => [0x28, 2, off], store32 = (off: number) => [0x36, 2, off];
  // params: 0 x, 1 xd, 2 keep, 3 n, 4 thr (i32), 5 inv (f64), 6 st (i32); locals: 7 i, 8 s0, 9 s1, 10 s2, 11 s3, 12 u, 13 k
  const I = 7, S0 = 8, S1 = 9, S2 = 10, S3 = 11, U = 12, K = 13;
  const xorInto = (dst: number, src: number) => [...lg(dst), ...lg(src), 0x73, ...ls(dst)];
  const code = [
    ...lg(6), ...load32(0), ...ls(S0), ...lg(6), ...load32(4), ...ls(S1),
    ...lg(6), ...load32(8), ...ls(S2), ...lg(6), ...load32(12), ...ls(S3),
    0x02, 0x40, 0x03, 0x40,
    ...lg(I), ...lg(3), 0x4f, 0x0d, 1,                                         // if i >= n break
    ...lg(S1), ...i32c(5), 0x6c, ...i32c(7), 0x77, ...i32c(9), 0x6c, ...ls(U),  // u = rotl(s1 * 5, 7) * 9
    ...lg(S1), ...i32c(9), 0x74,                                                // t = s1 << 9 (on the stack)
    ...xorInto(S2, S0), ...xorInto(S3, S1), ...xorInto(S1, S2), ...xorInto(S0, S3),
    ...lg(S2), 0x73, ...ls(S2),                                                 // s2 ^= t
    ...lg(S3), ...i32c(11), 0x77, ...ls(S3),                                    // s3 = rotl(s3, 11)
    ...lg(U), ...lg(4), 0x4f, ...ls(K),                                         // k = u >= thr (unsigned)
    ...lg(2), ...lg(I), 0x6a, ...lg(K), 0x3a, 0, 0,                             // keep[i] = k
    ...lg(1), ...lg(I), ...i32c(2), 0x74, 0x6a,                                 // &xd[i]
    ...lg(0), ...lg(I), ...i32c(2), 0x74, 0x6a, 0x2a, 2, 0, 0xbb,               // f64(x[i])
    ...lg(5), 0x44, 0, 0, 0, 0, 0, 0, 0, 0, ...lg(K), 0x1b,                     // k ? inv : 0
    0xa2, 0xb6, 0x38, 2, 0,                                                     // xd[i] = f32(product)
    ...lg(I), ...i32c(1), 0x6a, ...ls(I),
    0x0c, 0,
    0x0b, 0x0b,
    ...lg(6), ...lg(S0), ...store32(0), ...lg(6), ...lg(S1), ...store32(4),
    ...lg(6), ...lg(S2), ...store32(8), ...lg(6), ...lg(S3), ...store32(12),
    0x0b,
  ];
  const body = [1, 7, 0x7f, ...code];
  return memoryModule([{ name: 'dropout', params: [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7c, 0x7f], body }]);
}

type Kernel = (x: number, xd: number, keep: number, n: number, thr: number, inv: number, st: number) => void;
const instance = lazyKernel(moduleBytes, 9 * CHUNK + 64, (ex, buf) =>
  ({ run: ex.dropout as Kernel, f32: new Float32Array(buf), u8: new Uint8Array(buf), u32: new Uint32Array(buf) }));

/**
 * keep[i] = rng.next() >= p ? 1 : 0 and xd[i] = x[i] * (keep[i] / (1 - p)) for i < n: bitwise what rng.keepMask
 * followed by the TypeScript product gives, rng left at the same stream position. TypeScript where WebAssembly is
 * missing.
 */
export function dropoutForward(rng: Rng, keep: Uint8Array, xd: Float32Array, x: Float32Array, n: number, p: number): void {
  if (keep.length < n || xd.length < n || x.length < n) throw new Error(`dropoutForward: buffers shorter than ${n}`);
  const inv = 1 / (1 - p), k = instance();
  if (!k) {
    rng.keepMask(keep, n, p);
    for (let i = 0; i < n; i++) xd[i] = x[i]! * (keep[i]! * inv);
    return;
  }
  const thr = Math.min(Math.ceil(p * 4294967296), 4294967295); // as keepMask: u32 >= p * 2^32
  // Layout (bytes): state [0, 16), x [64, 64 + 4C), xd [.., + 4C), keep [.., + C).
  const xOff = 64, xdOff = xOff + 4 * CHUNK, keepOff = xdOff + 4 * CHUNK;
  k.u32.set(rng.state(), 0);
  for (let s = 0; s < n; s += CHUNK) {
    const e = Math.min(n, s + CHUNK), m = e - s;
    k.f32.set(x.subarray(s, e), xOff / 4);
    k.run(xOff, xdOff, keepOff, m, thr | 0, inv, 0);
    xd.set(k.f32.subarray(xdOff / 4, xdOff / 4 + m), s);
    keep.set(k.u8.subarray(keepOff, keepOff + m), s);
  }
  rng.setState([k.u32[0]!, k.u32[1]!, k.u32[2]!, k.u32[3]!]);
}
