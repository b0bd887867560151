// Byte-level helpers for the small WebAssembly SIMD modules radpo builds at run time (the decode GEMV in
// model/kv_cache.ts, the AdamW update in train/adamw_wasm.ts, dropout masks in model/dropout_wasm.ts, the RoPE head
// split in model/kernels/rope_wasm.ts). Not an assembler: callers write function bodies as opcodes.

export const uleb = (n: number): number[] => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
export const sleb = (n: number): number[] => { const o: number[] = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } };
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];

/** The WebAssembly API as radpo uses it (absent in runtimes without it: callers fall back to TypeScript). */
export interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
export const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** One exported function: its parameter types (0x7f i32, 0x7d f32, 0x7c f64) and body (locals, code, end); no results. */
export interface WasmFunc { name: string; params: number[]; body: number[] }

/** A module that imports one memory (env.mem) and exports `funcs`, each with its own type. */
export function memoryModule(funcs: WasmFunc[]): Uint8Array {
  const n = uleb(funcs.length);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...n, ...funcs.flatMap((f) => [0x60, ...uleb(f.params.length), ...f.params, 0])]),
    ...section(2, [1, ...str('env'), ...str('mem'), 0x02, 0x00, 1]),
    ...section(3, [...n, ...funcs.flatMap((_, i) => uleb(i))]),
    ...section(7, [...n, ...funcs.flatMap((f, i) => [...str(f.name), 0x00, ...uleb(i)])]),
    ...section(10, [...n, ...funcs.flatMap((f) => [...uleb(f.body.length), ...f.body])]),
  ]);
}

/** An instance of a compiled memoryModule over a fresh memory of at least `bytes` bytes (callers check WA first). */
export function instantiate(module: object, bytes: number): { exports: Record<string, unknown>; buffer: ArrayBuffer } {
  const mem = new WA!.Memory({ initial: Math.ceil(bytes / 65536) });
  return { exports: new WA!.Instance(module, { env: { mem } }).exports, buffer: mem.buffer };
}

/**
 * A memoryModule built, compiled and instantiated (over `bytes` of memory) on first call, then `wrap`ped and cached;
 * null (also cached) where WebAssembly is missing or refuses the module or the memory.
 */
export function lazyKernel<T>(build: () => Uint8Array, bytes: number, wrap: (exports: Record<string, unknown>, buffer: ArrayBuffer) => T): () => T | null {
  let k: T | null | undefined;
  return () => {
    if (k === undefined) {
      k = null;
      try {
        if (WA) { const { exports, buffer } = instantiate(new WA.Module(build()), bytes); k = wrap(exports, buffer); }
      } catch { k = null; }
    }
    return k;
  };
}
