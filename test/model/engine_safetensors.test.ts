import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsHeader, readTensorInto, loadWeights, f16ToF32, f32ToBf16Bits } from '../../src/model/safetensors.js';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { RadpoError } from '../../src/util/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-st-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a safetensors file from a header object and data bytes; `len` overrides the header length field. */
function st(name: string, header: unknown, data: Uint8Array = new Uint8Array(0), len?: bigint, rawHeader?: string): string {
  const hb = Buffer.from(rawHeader ?? JSON.stringify(header));
  const lb = Buffer.alloc(8); lb.writeBigUInt64LE(len ?? BigInt(hb.length));
  const f = path.join(dir, name);
  fs.writeFileSync(f, Buffer.concat([lb, hb, data]));
  return f;
}

const fails = (f: string, re: RegExp) => assert.throws(() => readSafetensorsHeader(f), (e: unknown) => e instanceof RadpoError && re.test(e.message), `${f}`);

test('malformed safetensors headers are refused with a RadpoError naming the problem', () => {
  const t = (o: Record<string, unknown>) => ({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...o } });
  const d8 = new Uint8Array(8);
  fs.writeFileSync(path.join(dir, 'short'), new Uint8Array(5));
  fails(path.join(dir, 'short'), /too short/);
  fails(st('len-big', t({}), d8, 1n << 62n), /header length .* exceeds the 104857600-byte limit/);
  fails(st('len-file', t({}), d8, 1000n), /exceeds the file size/);
  fails(st('json', null, d8, undefined, '{"w": [1,'), /not valid JSON/);
  fails(st('array', [1, 2], d8), /must be a JSON object/);
  fails(st('dtype', t({ dtype: 'X99' }), d8), /X99.*unknown dtype/);
  fails(st('i64', t({ dtype: 'I64', shape: [1] }), d8), /not supported/);
  fails(st('shape', t({ shape: [-2] }), d8), /shape must be/);
  fails(st('shape2', t({ shape: [1.5] }), d8), /shape must be/);
  fails(st('offs', t({ data_offsets: [0] }), d8), /data_offsets must be/);
  fails(st('oob', t({ data_offsets: [0, 16], shape: [4] }), d8), /out of bounds/);
  fails(st('size', t({ shape: [3] }), d8), /does not match shape/);
  fails(st('huge', t({ shape: [2 ** 40, 2 ** 40] }), d8), /does not match shape/);
  fails(st('overlap', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8), /overlaps/);
  fails(st('trailing', t({}), new Uint8Array(12)), /trailing bytes/);
  fails(st('entry', { w: 3 }, d8), /must be an object/);
});

test('F16 and BF16 tensors convert to fp32 exactly', () => {
  // f16: 1.0 = 0x3c00, -2.5 = 0xc100, 2^-24 (smallest subnormal) = 0x0001, 65504 = 0x7bff
  const f16 = new Uint16Array([0x3c00, 0xc100, 0x0001, 0x7bff]);
  const bf = new Uint16Array([0x3f80, 0xc020, 0x4049]); // 1, -2.5, 3.140625
  const f = st('mixed', { a: { dtype: 'F16', shape: [4], data_offsets: [0, 8] }, b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] } },
    new Uint8Array([...new Uint8Array(f16.buffer), ...new Uint8Array(bf.buffer)]));
  const h = readSafetensorsHeader(f);
  const a = new Float32Array(4), b = new Float32Array(3);
  readTensorInto(h, 'a', a); readTensorInto(h, 'b', b);
  assert.deepEqual([...a], [1, -2.5, 2 ** -24, 65504]);
  assert.deepEqual([...b], [1, -2.5, 3.140625]);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  // bf16 rounding: 1 + 2^-8 is a tie -> even (1.0); 1 + 3*2^-9 rounds up to 1 + 2^-7
  const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
  assert.equal(f32ToBf16Bits(bits(1 + 2 ** -8)), 0x3f80);
  assert.equal(f32ToBf16Bits(bits(1 + 3 * 2 ** -8)), 0x3f82);
  assert.equal(f32ToBf16Bits(bits(NaN)), 0x7fc0);
});

test('weights are checked against the config: missing, wrong shape, unexpected names, hostile shard paths', async () => {
  const cfg = parseModelConfig({ model_type: 'llama', vocab_size: 7, hidden_size: 4, intermediate_size: 6, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true });
  const m = Model.init(cfg, 1);
  const good = path.join(dir, 'good');
  await m.save(good);
  const h = readSafetensorsHeader(path.join(good, 'model.safetensors'));
  assert.equal(h.metadata.format, 'pt');
  const other = Model.init(parseModelConfig({ model_type: 'llama', vocab_size: 7, hidden_size: 4, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true }), 1);
  const e = (re: RegExp) => (err: unknown) => err instanceof RadpoError && re.test(err.message);
  assert.throws(() => loadWeights(good, other.params, other.config), e(/mlp.gate_proj.weight.*shape \[6, 4\] does not match the config's \[8, 4\]/));
  const untied = Model.init({ ...cfg, tie_word_embeddings: false }, 1);
  assert.throws(() => loadWeights(good, untied.params, untied.config), e(/lm_head.weight.*missing tensor/));
  const twoLayer = Model.init({ ...cfg, num_hidden_layers: 0, layer_windows: [] }, 1);
  assert.throws(() => loadWeights(good, twoLayer.params, twoLayer.config), e(/model.layers.0.*unexpected tensor/));
  // sharded: index pointing outside the folder
  const sh = path.join(dir, 'sharded');
  fs.mkdirSync(sh);
  fs.copyFileSync(path.join(good, 'model.safetensors'), path.join(sh, 'model-00001-of-00001.safetensors'));
  const wm: Record<string, string> = {};
  for (const en of m.params.entries) wm[en.name] = 'model-00001-of-00001.safetensors';
  fs.writeFileSync(path.join(sh, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: wm }));
  const l = Model.init(cfg, 2);
  loadWeights(sh, l.params, l.config);
  assert.deepEqual(l.params.data, m.params.data);
  wm['model.norm.weight'] = '../good/model.safetensors';
  fs.writeFileSync(path.join(sh, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: wm }));
  assert.throws(() => loadWeights(sh, l.params, l.config), e(/plain \*.safetensors file name/));
  assert.throws(() => loadWeights(path.join(dir, 'nowhere'), l.params, l.config), e(/no model.safetensors/));
});
