// safetensors I/O: validated header parsing, F32/F16/BF16 reads into the flat fp32 parameter store (single file or
// sharded with model.safetensors.index.json), F32/BF16 writes. Not a general tensor library: other dtypes are refused.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelConfig } from './config.js';
import type { ParamStore } from './params.js';
import { RadpoError } from '../util/errors.js';
import { AtomicWriteStream } from '../util/atomic.js';

export type StDtype = 'F32' | 'F16' | 'BF16';
const BYTES: Record<StDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const KNOWN = new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2']);
/** Upper bound on the JSON header (the safetensors reference implementation uses the same 100 MB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface StTensorInfo { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }
export interface StHeader { file: string; dataStart: number; tensors: Map<string, StTensorInfo>; metadata: Record<string, string> }

/** Reads and validates the header of a safetensors file (bounded reads; never the whole file). */
export function readSafetensorsHeader(file: string): StHeader {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch (e) { throw new RadpoError('io', `cannot open: ${(e as Error).message}`, { file }); }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new RadpoError('model', `safetensors file too short (${size} bytes)`, { file });
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const len = lenBuf.readBigUInt64LE(0);
    if (len > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
      throw new RadpoError('model', `safetensors header length ${len} exceeds ${len > BigInt(MAX_HEADER_BYTES) ? `the ${MAX_HEADER_BYTES}-byte limit` : `the file size (${size} bytes)`}`, { file, field: 'header_length' });
    }
    const n = Number(len);
    const hb = Buffer.alloc(n);
    fs.readSync(fd, hb, 0, n, 8);
    let json: unknown;
    try { json = JSON.parse(hb.toString('utf8')); } catch (e) {
      throw new RadpoError('model', `safetensors header is not valid JSON: ${(e as Error).message}`, { file, field: 'header' });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RadpoError('model', 'safetensors header must be a JSON object', { file, field: 'header' });
    const dataStart = 8 + n, dataSize = size - dataStart;
    const tensors = new Map<string, StTensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') { metadata = (v ?? {}) as Record<string, string>; continue; }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
      const where = { file, field: name };
      if (typeof e !== 'object' || e === null) throw new RadpoError('model', 'tensor entry must be an object', { ...where, value: v });
      if (typeof e.dtype !== 'string' || !KNOWN.has(e.dtype)) throw new RadpoError('model', 'unknown dtype', { ...where, field: `${name}.dtype`, value: e.dtype });
      if (!(e.dtype in BYTES)) throw new RadpoError('unsupported', 'dtype not supported (radpo reads F32, F16, BF16)', { ...where, field: `${name}.dtype`, value: e.dtype });
      const dtype = e.dtype as StDtype;
      if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw new RadpoError('model', 'shape must be a list of non-negative integers', { ...where, field: `${name}.shape`, value: e.shape });
      }
      const shape = e.shape as number[];
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) {
        throw new RadpoError('model', 'data_offsets must be two non-negative integers', { ...where, field: `${name}.data_offsets`, value: off });
      }
      const [begin, end] = off as [number, number];
      if (begin > end || end > dataSize) {
        throw new RadpoError('model', `data_offsets out of bounds (data section has ${dataSize} bytes)`, { ...where, field: `${name}.data_offsets`, value: off });
      }
      const numel = shape.reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(numel) || numel * BYTES[dtype] !== end - begin) {
        throw new RadpoError('model', `byte range ${end - begin} does not match shape [${shape.join(', ')}] of ${dtype}`, { ...where, field: `${name}.data_offsets`, value: off });
      }
      tensors.set(name, { name, dtype, shape, begin, end });
    }
    const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin);
    let prevEnd = 0, prevName = '';
    for (const t of sorted) {
      if (t.begin < prevEnd) throw new RadpoError('model', `tensor data overlaps tensor ${prevName}`, { file, field: `${t.name}.data_offsets`, value: [t.begin, t.end] });
      prevEnd = Math.max(prevEnd, t.end); prevName = t.name;
    }
    if (prevEnd !== dataSize) throw new RadpoError('model', `tensors cover ${prevEnd} bytes but the data section has ${dataSize} (truncated or trailing bytes)`, { file });
    return { file, dataStart, tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads one tensor of a validated header into `out` (fp32), converting F16/BF16. */
export function readTensorInto(h: StHeader, name: string, out: Float32Array): void {
  const t = h.tensors.get(name);
  if (!t) throw new RadpoError('model', 'tensor not in file', { file: h.file, field: name });
  const numel = (t.end - t.begin) / BYTES[t.dtype];
  if (out.length !== numel) throw new RadpoError('model', `tensor has ${numel} elements, expected ${out.length}`, { file: h.file, field: name });
  const fd = fs.openSync(h.file, 'r');
  try {
    if (t.dtype === 'F32') {
      readFully(fd, new Uint8Array(out.buffer, out.byteOffset, numel * 4), h.dataStart + t.begin);
      return;
    }
    const chunk = 1 << 20; // elements per read, bounding temporary memory
    const tmp = new Uint16Array(Math.min(chunk, numel));
    const bytes = new Uint8Array(tmp.buffer);
    const u32 = new Uint32Array(out.buffer, out.byteOffset, numel);
    for (let i0 = 0; i0 < numel; i0 += chunk) {
      const n = Math.min(chunk, numel - i0);
      readFully(fd, bytes.subarray(0, n * 2), h.dataStart + t.begin + i0 * 2);
      if (t.dtype === 'BF16') for (let i = 0; i < n; i++) u32[i0 + i] = tmp[i]! << 16;
      else for (let i = 0; i < n; i++) out[i0 + i] = f16ToF32(tmp[i]!);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, buf: Uint8Array, pos: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, Math.min(buf.length - done, 1 << 30), pos + done);
    if (n <= 0) throw new RadpoError('io', 'unexpected end of file while reading tensor data');
    done += n;
  }
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Round-to-nearest-even fp32 -> bf16 bits. */
export function f32ToBf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Tensors radpo ignores when present (buffers transformers or tied checkpoints may carry). */
function ignorable(name: string, config: ModelConfig): boolean {
  return name.endsWith('rotary_emb.inv_freq') || (config.tie_word_embeddings && name === 'lm_head.weight');
}

/**
 * Fills `params` from a model folder: model.safetensors, or model.safetensors.index.json with shards.
 * Every layout entry must be present with the config's shape; unknown tensors are refused by name.
 */
export function loadWeights(dir: string, params: ParamStore, config: ModelConfig): void {
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  const single = path.join(dir, 'model.safetensors');
  const headers: StHeader[] = [];
  const owner = new Map<string, StHeader>();
  if (fs.existsSync(indexFile)) {
    let idx: { weight_map?: Record<string, unknown> };
    try { idx = JSON.parse(fs.readFileSync(indexFile, 'utf8')); } catch (e) { throw new RadpoError('model', `invalid index JSON: ${(e as Error).message}`, { file: indexFile }); }
    const wm = idx?.weight_map;
    if (typeof wm !== 'object' || wm === null) throw new RadpoError('model', 'missing weight_map', { file: indexFile, field: 'weight_map' });
    const shards = new Map<string, StHeader>();
    for (const [name, shard] of Object.entries(wm)) {
      if (typeof shard !== 'string' || shard !== path.basename(shard) || !shard.endsWith('.safetensors')) {
        throw new RadpoError('model', 'shard must be a plain *.safetensors file name in the same folder', { file: indexFile, field: `weight_map.${name}`, value: shard });
      }
      let h = shards.get(shard);
      if (!h) { h = readSafetensorsHeader(path.join(dir, shard)); shards.set(shard, h); headers.push(h); }
      if (!h.tensors.has(name)) throw new RadpoError('model', `index maps tensor to ${shard} but the shard does not contain it`, { file: indexFile, field: name });
      owner.set(name, h);
    }
  } else if (fs.existsSync(single)) {
    const h = readSafetensorsHeader(single);
    headers.push(h);
    for (const name of h.tensors.keys()) owner.set(name, h);
  } else {
    throw new RadpoError('model', 'no model.safetensors or model.safetensors.index.json in the model folder', { file: dir });
  }
  for (const h of headers) {
    for (const t of h.tensors.values()) {
      if (!params.has(t.name) && !ignorable(t.name, config)) throw new RadpoError('model', `unexpected tensor (not part of a ${config.model_type} model with this config)`, { file: h.file, field: t.name });
    }
  }
  for (const e of params.entries) {
    const h = owner.get(e.name);
    if (!h) throw new RadpoError('model', 'missing tensor', { file: headers[0]?.file ?? dir, field: e.name });
    const t = h.tensors.get(e.name)!;
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new RadpoError('model', `shape [${t.shape.join(', ')}] does not match the config's [${e.shape.join(', ')}]`, { file: h.file, field: e.name });
    }
    readTensorInto(h, e.name, params.view(e.name));
  }
}

/** Writes every entry of `params` (Hugging Face names) as one safetensors file, atomically. */
export function saveSafetensors(file: string, params: ParamStore, dtype: 'F32' | 'BF16' = 'F32', metadata: Record<string, string> = { format: 'pt' }): void {
  const bytes = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const e of params.entries) {
    header[e.name] = { dtype, shape: e.shape, data_offsets: [off, off + e.size * bytes] };
    off += e.size * bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  const out = new AtomicWriteStream(file);
  try {
    out.write(len); out.write(hb);
    for (const e of params.entries) {
      const v = params.view(e.name);
      if (dtype === 'F32') { out.write(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); continue; }
      const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length);
      const chunk = 1 << 20;
      for (let i0 = 0; i0 < v.length; i0 += chunk) {
        const n = Math.min(chunk, v.length - i0);
        const b = new Uint16Array(n);
        for (let i = 0; i < n; i++) b[i] = f32ToBf16Bits(u32[i0 + i]!);
        out.write(new Uint8Array(b.buffer));
      }
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}
