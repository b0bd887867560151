// onnxruntime's C API called directly (koffi), on the library that onnxruntime-node installs: the tensors wrap the
// callers' Float32Arrays in place and the outputs are written straight into the callers' buffers. Not a second
// runtime: the same libonnxruntime, sessions and MLAS kernels as the onnxruntime-node binding, minus its copies.
//
// Why: the binding (1.30) copies every output into a fresh zero-filled ArrayBuffer, even a preallocated one. On this
// machine that cost more than the work itself for element-wise graphs (Relu over 704K floats: 2.2 ms through the
// binding, 0.09 ms here) and 25-45% of a 1024 x 256 x 688 multiply (3.9-5.4 vs 2.4-2.9 ms); the fresh buffers also
// page-fault (8-12K faults per training step) and press the garbage collector. Measurements: docs/engine.md.
//
// OrtApi is a table of function pointers that onnxruntime only appends to, so the indices below hold for every
// release since they were added (checked against the API 13, 22 and 29 headers of onnxruntime_c_api.h).
// available() is false where koffi or the library is missing; whether the engine uses this path at all is gemm.ts's
// gemmSettings.native (RADPO_ORT_NATIVE=0 turns it off).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

/** A tensor as the engine passes it: ort.Tensor's fields (type, data, dims). */
export interface TensorLike { readonly type: string; readonly data: unknown; readonly dims: readonly number[] }

/** Session settings the engine uses (gemm.ts ortSession). */
export interface NativeSessionOptions { threads: number; spinning: boolean }

export interface NativeSession { run(feeds: Record<string, TensorLike>, fetches: Record<string, TensorLike>): void }

/** Indices into OrtApi (0-based function-pointer slots). */
const API = {
  GetErrorMessage: 2, CreateEnv: 3, CreateSessionFromArray: 8, Run: 9, CreateSessionOptions: 10,
  SetSessionExecutionMode: 13, EnableCpuMemArena: 18, SetSessionGraphOptimizationLevel: 23,
  SetIntraOpNumThreads: 24, SetInterOpNumThreads: 25, CreateTensorWithDataAsOrtValue: 49, CreateCpuMemoryInfo: 69,
  ReleaseStatus: 93, ReleaseValue: 96, ReleaseSessionOptions: 100, AddSessionConfigEntry: 130,
} as const;
/** The OrtApi version requested (onnxruntime 1.17's): every function above exists there, and 1.30 still serves it. */
const API_VERSION = 17;

/** ONNX element types by ort.Tensor type name. */
const ELEM: Record<string, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

type Fn = (...args: unknown[]) => unknown;
interface Api {
  errorMessage: Fn; releaseStatus: Fn; createSessionFromArray: Fn; run: Fn; createSessionOptions: Fn;
  setExecutionMode: Fn; enableArena: Fn; setOptLevel: Fn; setIntra: Fn; setInter: Fn; addConfig: Fn;
  createTensor: Fn; releaseValue: Fn; releaseOptions: Fn;
  env: unknown; memInfo: unknown;
}

let api: Api | null | undefined;
let loadError = '';

/** Why the native path is off ('' when on). */
export function nativeUnavailableReason(): string { available(); return loadError; }

/** True when sessions can run through the C API (loads koffi and the library on first call). */
export function available(): boolean {
  if (api === undefined) {
    try { api = load(); } catch (e) { api = null; loadError = (e as Error).message; }
  }
  return api !== null;
}

function libraryPath(): string {
  const req = createRequire(import.meta.url);
  const pkgDir = path.dirname(req.resolve('onnxruntime-node/package.json'));
  const dir = path.join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const lib = names.find((n) => /^libonnxruntime\.so\.\d+$/.test(n)) ?? names.find((n) => /^libonnxruntime\.[\d.]*dylib$/.test(n)) ??
    names.find((n) => n === 'onnxruntime.dll');
  if (!lib) throw new Error(`no onnxruntime library in ${dir}`);
  return path.join(dir, lib);
}

function load(): Api {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load(libraryPath());
  const getBase = lib.func('void *OrtGetApiBase(void)');
  const base = koffi.decode(getBase(), koffi.array('void *', 2)) as unknown[];
  const apiPtr = koffi.call(base[0], koffi.proto('void *OrtGetApi(uint32_t version)'), API_VERSION);
  if (!apiPtr) throw new Error(`onnxruntime does not offer C API version ${API_VERSION}`);
  const table = koffi.decode(apiPtr, koffi.array('void *', 131)) as unknown[];
  let protoId = 0;
  const fn = (index: number, sig: string): Fn => {
    return koffi.decode(table[index], koffi.proto(sig.replace('(', ` radpo_ort_${protoId++}(`))) as Fn;
  };
  const a: Omit<Api, 'env' | 'memInfo'> = {
    errorMessage: fn(API.GetErrorMessage, 'const char *(void *status)'),
    releaseStatus: fn(API.ReleaseStatus, 'void (void *status)'),
    createSessionFromArray: fn(API.CreateSessionFromArray, 'void *(void *env, const uint8_t *data, size_t len, void *options, _Out_ void **out)'),
    run: fn(API.Run, 'void *(void *session, void *runOptions, const char **inputNames, void **inputs, size_t nInputs, const char **outputNames, size_t nOutputs, void **outputs)'),
    createSessionOptions: fn(API.CreateSessionOptions, 'void *(_Out_ void **out)'),
    setExecutionMode: fn(API.SetSessionExecutionMode, 'void *(void *options, int mode)'),
    enableArena: fn(API.EnableCpuMemArena, 'void *(void *options)'),
    setOptLevel: fn(API.SetSessionGraphOptimizationLevel, 'void *(void *options, int level)'),
    setIntra: fn(API.SetIntraOpNumThreads, 'void *(void *options, int n)'),
    setInter: fn(API.SetInterOpNumThreads, 'void *(void *options, int n)'),
    addConfig: fn(API.AddSessionConfigEntry, 'void *(void *options, const char *key, const char *value)'),
    createTensor: fn(API.CreateTensorWithDataAsOrtValue, 'void *(void *info, void *data, size_t len, const int64_t *shape, size_t rank, int type, _Out_ void **out)'),
    releaseValue: fn(API.ReleaseValue, 'void (void *value)'),
    releaseOptions: fn(API.ReleaseSessionOptions, 'void (void *options)'),
  };
  const createEnv = fn(API.CreateEnv, 'void *(int level, const char *logid, _Out_ void **out)');
  const createMemInfo = fn(API.CreateCpuMemoryInfo, 'void *(int allocator, int memType, _Out_ void **out)');
  const out: unknown[] = [null];
  check(a, createEnv(3 /* ORT_LOGGING_LEVEL_ERROR */, 'radpo', out));
  const env = out[0];
  check(a, createMemInfo(0 /* OrtDeviceAllocator */, 0 /* OrtMemTypeDefault */, out));
  return { ...a, env, memInfo: out[0] };
}

function check(a: Pick<Api, 'errorMessage' | 'releaseStatus'>, st: unknown): void {
  if (!st) return;
  const m = a.errorMessage(st) as string;
  a.releaseStatus(st);
  throw new Error(`onnxruntime: ${m}`);
}

const empty = new Float32Array(1);

/** A session on the C API. Throws when unavailable (callers check available() first). */
export function createNativeSession(bytes: Uint8Array, opts: NativeSessionOptions): NativeSession {
  if (!available()) throw new Error(`native onnxruntime unavailable: ${loadError}`);
  const a = api as Api, out: unknown[] = [null];
  check(a, a.createSessionOptions(out));
  const o = out[0];
  try {
    check(a, a.setIntra(o, opts.threads));
    check(a, a.setInter(o, 1));
    check(a, a.setExecutionMode(o, 0 /* ORT_SEQUENTIAL */));
    check(a, a.setOptLevel(o, 99 /* ORT_ENABLE_ALL */));
    check(a, a.enableArena(o));
    check(a, a.addConfig(o, 'session.intra_op.allow_spinning', opts.spinning ? '1' : '0'));
    check(a, a.createSessionFromArray(a.env, bytes, bytes.byteLength, o, out));
  } finally { a.releaseOptions(o); }
  const session = out[0];

  /** One OrtValue over a tensor's own memory (released by run before it returns). */
  const value = (name: string, t: TensorLike): unknown => {
    const elem = ELEM[t.type];
    const data = t.data as ArrayBufferView;
    if (elem === undefined || !ArrayBuffer.isView(data)) throw new Error(`ort_native: tensor ${name}: unsupported type ${t.type}`);
    const shape = BigInt64Array.from(t.dims, (d) => BigInt(d));
    check(a, a.createTensor(a.memInfo, data.byteLength > 0 ? data : empty, data.byteLength, shape, t.dims.length, elem, out));
    return out[0];
  };

  return {
    run(feeds, fetches): void {
      const inNames = Object.keys(feeds), outNames = Object.keys(fetches), ins: unknown[] = [], outs: unknown[] = [];
      try {
        for (const n of inNames) ins.push(value(n, feeds[n]!));
        for (const n of outNames) outs.push(value(n, fetches[n]!));
        check(a, a.run(session, null, inNames, ins, ins.length, outNames, outs.length, outs));
      } finally {
        for (const v of ins) a.releaseValue(v);
        for (const v of outs) a.releaseValue(v);
      }
    },
  };
}
