import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { parseModelConfig } from '../../src/model/config.js';
import { Model } from '../../src/model/model.js';
import { LoraAdapter, loraSlotBackward, loraSlotForward, peftName, type LoraConfig } from '../../src/model/lora.js';
import { LoraModel } from '../../src/model/lora_model.js';
import { loadAdapter, mergeAdapter, readAdapterConfig, saveAdapter } from '../../src/model/lora_io.js';
import { mm } from '../../src/model/kernels/linear.js';

const f64 = (rng: Rng, n: number, s = 1): Float64Array => Float64Array.from({ length: n }, () => rng.normal() * s);
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / (m + 1e-30);
};

// A tiny Llama-family config (GQA, untied head) for whole-model checks.
const tinyConfig = (over: Record<string, unknown> = {}) => parseModelConfig({
  model_type: 'llama', vocab_size: 37, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false,
  max_position_embeddings: 64, ...over,
});
const ALL: LoraConfig = { r: 3, lora_alpha: 6, lora_dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

/** An adapter with random A and B (PEFT's B = 0 would make every gradient check trivial). */
function randomAdapter(cfg: ReturnType<typeof tinyConfig>, lc: LoraConfig, seed: number): LoraAdapter {
  const ad = LoraAdapter.init(cfg, lc, seed);
  const rng = new Rng(seed + 1);
  for (const s of ad.slots) { const B = ad.params.view(s.b); for (let i = 0; i < B.length; i++) B[i] = rng.normal() * 0.2; }
  return ad;
}

test('LoRA slot kernels: float64 gradients of A, B and x match central differences (block and full-width outputs)', async () => {
  for (const [M, m, offset] of [[7, 7, 0], [11, 4, 5]] as const) {
    const rng = new Rng(M);
    const N = 5, K = 6, r = 2, scale = 1.7;
    const x = f64(rng, N * K), A = f64(rng, r * K), B = f64(rng, m * r), W = f64(rng, N * M), base = f64(rng, N * M);
    // loss = sum(out * W) with out = base + lora(x)
    const loss = async (): Promise<number> => {
      const out = Float64Array.from(base);
      await loraSlotForward(out, x, A, B, new Float64Array(N * r), new Float64Array(N * m), N, K, r, m, M, offset, scale);
      let s = 0; for (let i = 0; i < out.length; i++) s += out[i]! * W[i]!; return s;
    };
    const h = new Float64Array(N * r);
    await loraSlotForward(Float64Array.from(base), x, A, B, h, new Float64Array(N * m), N, K, r, m, M, offset, scale);
    const dA = new Float64Array(r * K), dB = new Float64Array(m * r), dx = new Float64Array(N * K);
    await loraSlotBackward(dx, dA, dB, W, x, A, B, h, new Float64Array(N * m), new Float64Array(N * r), N, K, r, m, M, offset, scale);
    for (const [param, grad] of [[A, dA], [B, dB], [x, dx]] as const) {
      const num = new Float64Array(param.length);
      for (let i = 0; i < param.length; i++) {
        const v = param[i]!, e = 1e-5;
        param[i] = v + e; const fp = await loss(); param[i] = v - e; const fm = await loss(); param[i] = v;
        num[i] = (fp - fm) / (2 * e);
      }
      // The loss is bilinear in each argument, so central differences are exact up to rounding (~1e-10).
      assert.ok(maxRel(grad, num) < 1e-8, `M=${M}: ${maxRel(grad, num)}`);
    }
  }
});

test('LoRA on the whole model: logits equal the merged model, adapter grads equal the projection of the full weight grads', async () => {
  const cfg = tinyConfig();
  const base = Model.init(cfg, 3);
  const ad = randomAdapter(cfg, ALL, 5);
  const lora = new LoraModel(base, ad);
  const merged = base.clone();
  await ad.mergeInto(merged.params);
  const B = 2, T = 6, V = cfg.vocab_size, rng = new Rng(9);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const R = Float32Array.from({ length: B * T * V }, () => rng.normal());
  lora.enableGrad(); lora.zeroGrad();
  const la = await lora.forward(ids, B, T, { train: true });
  await lora.backward(R);
  merged.enableGrad(); merged.zeroGrad();
  const lm = await merged.forward(ids, B, T, { train: true });
  await merged.backward(R);
  // Same function computed two ways in float32 (low-rank path vs merged weights): agreement to ~1e-6 relative.
  assert.ok(maxRel(la, lm) < 1e-5, `logits ${maxRel(la, lm)}`);
  // W' = W + s B A  =>  dL/dA = s B^T dW', dL/dB = s dW' A^T, with dW' the engine's own (FD-checked) weight gradient.
  for (const s of ad.slots) {
    const dW = merged.grads!.view(`model.layers.${s.layer}.${s.group === 'gate_up' || s.group === 'down' ? 'mlp' : 'self_attn'}.${s.module}.weight`);
    const r = ALL.r;
    const eA = new Float32Array(r * s.K), eB = new Float32Array(s.m * r);
    await mm(eA, ad.params.view(s.b), dW, r, s.K, s.m, { transA: true, alpha: ad.scaling });
    await mm(eB, dW, ad.params.view(s.a), s.m, r, s.K, { transB: true, alpha: ad.scaling });
    // float32 end to end through two different graphs: 1e-3 relative leaves room for accumulation-order rounding.
    assert.ok(maxRel(ad.grads!.view(s.a), eA) < 1e-3, `${s.a} ${maxRel(ad.grads!.view(s.a), eA)}`);
    assert.ok(maxRel(ad.grads!.view(s.b), eB) < 1e-3, `${s.b} ${maxRel(ad.grads!.view(s.b), eB)}`);
  }
  // The frozen base got no gradient store and its weights are untouched.
  assert.equal(base.grads, null);
});

test('LoRA model gradient: float32 central differences on a few adapter entries', async () => {
  const cfg = tinyConfig({ num_hidden_layers: 1 });
  const base = Model.init(cfg, 11);
  const ad = randomAdapter(cfg, { ...ALL, target_modules: ['v_proj', 'up_proj', 'down_proj'] }, 12);
  const lora = new LoraModel(base, ad);
  const B = 1, T = 5, V = cfg.vocab_size, rng = new Rng(2);
  const ids = Int32Array.from({ length: T }, () => rng.int(V));
  const R = Float32Array.from({ length: T * V }, () => rng.normal());
  const loss = async (): Promise<number> => { const l = await lora.forward(ids, B, T); let s = 0; for (let i = 0; i < l.length; i++) s += l[i]! * R[i]!; return s; };
  lora.enableGrad(); lora.zeroGrad();
  await lora.forward(ids, B, T, { train: true });
  await lora.backward(R);
  for (const name of [peftName(0, 'v_proj', 'A'), peftName(0, 'up_proj', 'B'), peftName(0, 'down_proj', 'A')]) {
    const p = ad.params.view(name), g = ad.grads!.view(name);
    for (const i of [0, 3, p.length - 1]) {
      const v = p[i]!, e = 1e-2;
      p[i] = v + e; const fp = await loss(); p[i] = v - e; const fm = await loss(); p[i] = v;
      const num = (fp - fm) / (2 * e);
      // float32 forward: rounding ~1e-6 * |loss| / e plus O(e^2) curvature; 2e-2 absolute + 2% relative covers both.
      assert.ok(Math.abs(num - g[i]!) < 2e-2 + 0.02 * Math.abs(num), `${name}[${i}] fd ${num} vs ${g[i]}`);
    }
  }
});

test('reference view = base with the adapter off (bit-identical), sharing the base memory; fresh adapter = base', async () => {
  const cfg = tinyConfig();
  const base = Model.init(cfg, 1);
  const plain = base.clone();
  const lora = LoraModel.create(base, ALL, 7);
  const ids = Int32Array.from([1, 5, 9, 2, 4, 7]);
  const want = await plain.forward(ids, 1, 6);
  assert.deepEqual(await lora.forward(ids, 1, 6), want);          // PEFT init: B = 0
  const rng = new Rng(3);
  for (const s of lora.adapter.slots) { const b = lora.adapter.params.view(s.b); for (let i = 0; i < b.length; i++) b[i] = rng.normal(); }
  const ref = lora.reference();
  assert.equal(ref.params, base.params);                          // no second copy of the weights
  assert.deepEqual(await ref.forward(ids, 1, 6), want);
  assert.notDeepEqual(await lora.forward(ids, 1, 6), want);
  // Interleaved calls are serialised: the switch cannot leak from one to the other.
  const [a, b] = await Promise.all([ref.forward(ids, 1, 6), lora.forward(ids, 1, 6)]);
  assert.deepEqual(a, want);
  assert.notDeepEqual(b, want);
});

test('dropout: active in train mode only, deterministic per seed', async () => {
  const cfg = tinyConfig({ num_hidden_layers: 1 });
  const base = Model.init(cfg, 4);
  const lc: LoraConfig = { ...ALL, lora_dropout: 0.5, target_modules: ['q_proj', 'gate_proj'] };
  const mk = (): LoraModel => new LoraModel(base.clone(), randomAdapter(cfg, lc, 8));
  const ids = Int32Array.from([3, 1, 4, 1, 5]);
  const [m1, m2] = [mk(), mk()];
  const t1 = await m1.forward(ids, 1, 5, { train: true });
  assert.deepEqual(t1, await m2.forward(ids, 1, 5, { train: true }));
  // eval mode has no dropout: equal to the merged model
  const merged = base.clone();
  await m1.adapter.mergeInto(merged.params);
  const e1 = await m1.forward(ids, 1, 5);
  assert.ok(maxRel(e1, await merged.forward(ids, 1, 5)) < 1e-5);
  assert.ok(maxRel(t1, e1) > 1e-3);  // half the adapter inputs dropped: visibly different logits
});

test('PEFT folder: save -> load round trip, PEFT names and config, unsupported features refused by name', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-lora-'));
  const cfg = tinyConfig();
  const ad = randomAdapter(cfg, { ...ALL, target_modules: ['q_proj', 'v_proj'], lora_dropout: 0.1 }, 2);
  await saveAdapter(path.join(dir, 'a'), ad, { baseModel: '/models/tiny' });
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'a', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(j['peft_type'], 'LORA');
  assert.equal(j['r'], 3);
  assert.equal(j['lora_alpha'], 6);
  assert.deepEqual(j['target_modules'], ['q_proj', 'v_proj']);
  assert.equal(j['base_model_name_or_path'], '/models/tiny');
  assert.deepEqual(ad.params.entries.map((e) => e.name).slice(0, 4), [
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight',
  ]);
  assert.deepEqual(ad.params.entries[0]!.shape, [3, 16]);   // A [r, in]
  assert.deepEqual(ad.params.entries[3]!.shape, [8, 3]);    // v_proj B [kv heads * head_dim, r]
  const back = loadAdapter(path.join(dir, 'a'), cfg);
  assert.deepEqual(back.params.data, ad.params.data);
  assert.equal(back.config.lora_dropout, 0.1);
  for (const [k, v] of [['use_dora', true], ['bias', 'all'], ['modules_to_save', ['lm_head']], ['target_modules', ['c_attn']]] as const) {
    fs.writeFileSync(path.join(dir, 'a', 'adapter_config.json'), JSON.stringify({ ...j, [k]: v }));
    assert.throws(() => readAdapterConfig(path.join(dir, 'a')), (e: unknown) => e instanceof Error && e.message.includes(`"${k}"`));
  }
  // A wrong rank for the stored tensors is a shape error naming the tensor.
  fs.writeFileSync(path.join(dir, 'a', 'adapter_config.json'), JSON.stringify({ ...j, r: 4 }));
  assert.throws(() => loadAdapter(path.join(dir, 'a'), cfg), /q_proj\.lora_A\.weight.*does not match/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('merge: base + adapter -> full checkpoint that scores like the adapted model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-lora-'));
  const cfg = tinyConfig();
  const base = Model.init(cfg, 6);
  await base.save(path.join(dir, 'base'));
  const ad = randomAdapter(cfg, ALL, 3);
  await saveAdapter(path.join(dir, 'ad'), ad);
  await mergeAdapter(path.join(dir, 'base'), path.join(dir, 'ad'), path.join(dir, 'merged'));
  const merged = await Model.load(path.join(dir, 'merged'));
  const lora = new LoraModel(await Model.load(path.join(dir, 'base')), loadAdapter(path.join(dir, 'ad'), cfg));
  const ids = Int32Array.from([2, 8, 1, 30, 12]);
  // float32: merged weights vs low-rank path differ by rounding only
  assert.ok(maxRel(await merged.forward(ids, 1, 5), await lora.forward(ids, 1, 5)) < 1e-5);
  fs.rmSync(dir, { recursive: true, force: true });
});
