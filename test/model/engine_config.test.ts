import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig, configToJson, countParams } from '../../src/model/config.js';
import { paramLayout } from '../../src/model/params.js';
import { RadpoError } from '../../src/util/errors.js';

const base = { vocab_size: 32, hidden_size: 16, intermediate_size: 40, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2 };

test('llama / mistral / qwen2 defaults follow transformers', () => {
  const l = parseModelConfig({ ...base, model_type: 'llama' });
  assert.equal(l.head_dim, 4); assert.equal(l.rope_theta, 10000); assert.equal(l.qkv_bias, false); assert.equal(l.tie_word_embeddings, false);
  const q = parseModelConfig({ ...base, model_type: 'qwen2' });
  assert.equal(q.qkv_bias, true); assert.equal(q.o_bias, false); // Qwen2Attention: q/k/v bias=True, o_proj bias=False
  const m = parseModelConfig({ ...base, model_type: 'mistral', sliding_window: 4096 });
  assert.deepEqual(m.layer_windows, [4096, 4096, 4096]);
  const la = parseModelConfig({ ...base, model_type: 'llama', attention_bias: true });
  assert.equal(la.qkv_bias && la.o_bias, true);
  // transformers 5 style rope_parameters and the older rope_theta / rope_scaling give the same config
  const a = parseModelConfig({ ...base, model_type: 'llama', rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } });
  const b = parseModelConfig({ ...base, model_type: 'llama', rope_theta: 5e5, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } });
  assert.deepEqual(a, b);
  assert.equal(a.rope_scaling?.factor, 8);
  // qwen2 sliding window applies from max_window_layers on
  const qs = parseModelConfig({ ...base, model_type: 'qwen2', use_sliding_window: true, sliding_window: 8, max_window_layers: 1 });
  assert.deepEqual(qs.layer_windows, [null, 8, 8]);
});

test('unsupported settings are refused naming the field', () => {
  const bad = (j: Record<string, unknown>, field: string) => assert.throws(() => parseModelConfig({ ...base, model_type: 'llama', ...j }, 'c.json'),
    (e: unknown) => e instanceof RadpoError && e.message.includes(`field "${field}"`) && e.message.startsWith('c.json'));
  bad({ model_type: 'gpt2' }, 'model_type');
  bad({ rope_scaling: { rope_type: 'yarn', factor: 2 } }, 'rope_scaling.rope_type');
  bad({ hidden_act: 'gelu' }, 'hidden_act');
  bad({ mlp_bias: true }, 'mlp_bias');
  bad({ num_key_value_heads: 3 }, 'num_key_value_heads');
  bad({ hidden_size: 18 }, 'hidden_size');
  bad({ vocab_size: 0 }, 'vocab_size');
  bad({ rms_norm_eps: -1 }, 'rms_norm_eps');
  bad({ pretraining_tp: 2 }, 'pretraining_tp');
});

test('configToJson round-trips and the layout size equals countParams (SmolLM-135M shape: 134,515,008)', () => {
  for (const mt of ['llama', 'mistral', 'qwen2']) {
    const c = parseModelConfig({ ...base, model_type: mt, tie_word_embeddings: mt === 'llama', bos_token_id: 1, eos_token_id: [2, 3] });
    const j = configToJson(c);
    assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(j))), c);
    const lay = paramLayout(c), last = lay[lay.length - 1]!;
    assert.equal(last.offset + last.size, countParams(c));
  }
  const smol = parseModelConfig({ model_type: 'llama', vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, tie_word_embeddings: true });
  assert.equal(countParams(smol), 134515008); // HuggingFaceTB/SmolLM-135M model card / safetensors total
});
