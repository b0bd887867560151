// ModelConfig: the Llama-family decoder settings radpo supports (llama, mistral, qwen2), parsed from and written to
// Hugging Face config.json. Not the tokenizer or generation config; unsupported settings are refused by name.

import { RadpoError } from '../util/errors.js';

export type ModelType = 'llama' | 'mistral' | 'qwen2';

/** Llama-3 rope scaling (rope_type "llama3"); the only scaling radpo implements. */
export interface Llama3RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

/** Field names follow transformers' config.json. */
export interface ModelConfig {
  model_type: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: Llama3RopeScaling | null;
  tie_word_embeddings: boolean;
  /** Bias on q/k/v projections (qwen2 always; llama when attention_bias). */
  qkv_bias: boolean;
  /** Bias on o_proj (llama attention_bias only). */
  o_bias: boolean;
  /** Per layer: attention window in tokens (key j visible from query i when i - j < window), or null for full. */
  layer_windows: (number | null)[];
  sliding_window: number | null;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  initializer_range: number;
  torch_dtype: string;
}

type Json = Record<string, unknown>;

const ARCH: Record<ModelType, string> = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' };
const DEFAULT_MAX_POS: Record<ModelType, number> = { llama: 2048, mistral: 131072, qwen2: 32768 };

export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RadpoError('model', 'config must be a JSON object', { file });
  const j = json as Json;
  const bad = (field: string, msg: string): never => { throw new RadpoError('model', msg, { file, field, value: j[field] }); };
  const mt = j.model_type;
  if (mt !== 'llama' && mt !== 'mistral' && mt !== 'qwen2') {
    return bad('model_type', 'unsupported model_type; radpo supports "llama", "mistral" and "qwen2"');
  }
  const modelType = mt as ModelType;
  const int = (field: string, def?: number, min = 1): number => {
    const v = j[field] ?? def;
    if (v === undefined) return bad(field, 'missing required integer');
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return bad(field, `expected an integer >= ${min}`);
    return v;
  };
  const num = (field: string, def: number, src: Json = j): number => {
    const v = src[field] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RadpoError('model', 'expected a positive number', { file, field, value: src[field] });
    }
    return v;
  };
  const optId = (field: string): number | null => {
    const v = j[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return bad(field, 'expected a token id or null');
    return v;
  };
  const act = j.hidden_act ?? 'silu';
  if (act !== 'silu') bad('hidden_act', 'only "silu" (SwiGLU) is supported');
  if (j.mlp_bias === true) bad('mlp_bias', 'MLP biases are not supported');
  if (j.pretraining_tp !== undefined && j.pretraining_tp !== 1) bad('pretraining_tp', 'only pretraining_tp = 1 is supported');
  if (j.quantization_config !== undefined) bad('quantization_config', 'quantized checkpoints are not supported');

  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  const kvHeads = int('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) bad('num_key_value_heads', `must divide num_attention_heads (${heads})`);
  let headDim: number;
  if (j.head_dim === undefined || j.head_dim === null) {
    if (hidden % heads !== 0) bad('hidden_size', `not divisible by num_attention_heads (${heads}) and no head_dim given`);
    headDim = hidden / heads;
  } else headDim = int('head_dim');
  if (headDim % 2 !== 0) bad('head_dim', 'rotary embeddings need an even head_dim');

  // Rope: transformers 5 writes rope_parameters {rope_type, rope_theta, ...}; older files use rope_theta + rope_scaling.
  const rp = (j.rope_parameters ?? null) as Json | null;
  const rs = (j.rope_scaling ?? null) as Json | null;
  if (rp !== null && (typeof rp !== 'object' || Array.isArray(rp))) bad('rope_parameters', 'expected an object');
  if (rs !== null && (typeof rs !== 'object' || Array.isArray(rs))) bad('rope_scaling', 'expected an object or null');
  const ropeTheta = rp && rp.rope_theta !== undefined ? num('rope_theta', 10000, rp) : num('rope_theta', 10000);
  const scalingSrc = rp ?? rs;
  const scalingField = rp ? 'rope_parameters' : 'rope_scaling';
  let ropeScaling: Llama3RopeScaling | null = null;
  if (scalingSrc) {
    const type = scalingSrc.rope_type ?? scalingSrc.type ?? 'default';
    if (type === 'llama3') {
      ropeScaling = {
        rope_type: 'llama3',
        factor: num('factor', NaN, scalingSrc),
        low_freq_factor: num('low_freq_factor', NaN, scalingSrc),
        high_freq_factor: num('high_freq_factor', NaN, scalingSrc),
        original_max_position_embeddings: num('original_max_position_embeddings', NaN, scalingSrc),
      };
    } else if (type !== 'default') {
      throw new RadpoError('unsupported', `rope type ${JSON.stringify(type)} is not supported (only "default" and "llama3")`, { file, field: `${scalingField}.rope_type`, value: type });
    }
  }
  if (scalingSrc && typeof scalingSrc.partial_rotary_factor === 'number' && scalingSrc.partial_rotary_factor !== 1) {
    bad(scalingField, 'partial_rotary_factor != 1 is not supported');
  }

  const layers = int('num_hidden_layers');
  let slidingWindow: number | null = null;
  const layerWindows: (number | null)[] = new Array<number | null>(layers).fill(null);
  if (modelType === 'mistral' && j.sliding_window !== undefined && j.sliding_window !== null) {
    slidingWindow = int('sliding_window');
    layerWindows.fill(slidingWindow);
  }
  if (modelType === 'qwen2' && j.use_sliding_window === true) {
    slidingWindow = int('sliding_window');
    const types = j.layer_types;
    if (Array.isArray(types)) {
      if (types.length !== layers) bad('layer_types', `expected ${layers} entries`);
      types.forEach((t, i) => { if (t === 'sliding_attention') layerWindows[i] = slidingWindow; else if (t !== 'full_attention') bad('layer_types', `unknown layer type ${String(t)}`); });
    } else {
      const mwl = int('max_window_layers', 28, 0);
      for (let i = mwl; i < layers; i++) layerWindows[i] = slidingWindow;
    }
  } else if (modelType === 'llama' && Array.isArray(j.layer_types) && j.layer_types.some((t) => t !== 'full_attention')) {
    bad('layer_types', 'only full_attention layers are supported for llama');
  }

  const attnBias = j.attention_bias === true;
  if (j.attention_bias !== undefined && typeof j.attention_bias !== 'boolean') bad('attention_bias', 'expected a boolean');
  if (modelType === 'mistral' && attnBias) bad('attention_bias', 'mistral has no attention biases');
  let eos: number | number[] | null = null;
  if (Array.isArray(j.eos_token_id)) {
    if (!j.eos_token_id.every((x) => Number.isInteger(x) && (x as number) >= 0)) bad('eos_token_id', 'expected token ids');
    eos = j.eos_token_id as number[];
  } else eos = optId('eos_token_id');
  const dtype = j.torch_dtype ?? j.dtype ?? 'float32';

  return {
    model_type: modelType,
    vocab_size: int('vocab_size'),
    hidden_size: hidden,
    intermediate_size: int('intermediate_size'),
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    max_position_embeddings: int('max_position_embeddings', DEFAULT_MAX_POS[modelType]),
    rms_norm_eps: num('rms_norm_eps', 1e-6),
    rope_theta: ropeTheta,
    rope_scaling: ropeScaling,
    tie_word_embeddings: j.tie_word_embeddings === true,
    qkv_bias: modelType === 'qwen2' || attnBias,
    o_bias: modelType === 'llama' && attnBias,
    layer_windows: layerWindows,
    sliding_window: slidingWindow,
    bos_token_id: optId('bos_token_id'),
    eos_token_id: eos,
    pad_token_id: optId('pad_token_id'),
    initializer_range: num('initializer_range', 0.02),
    torch_dtype: typeof dtype === 'string' ? dtype : 'float32',
  };
}

/** A transformers-compatible config.json object (both the v5 rope_parameters and the older rope_theta/rope_scaling keys). */
export function configToJson(c: ModelConfig, opts: { torchDtype?: string } = {}): Json {
  const rope: Json = { rope_type: c.rope_scaling ? 'llama3' : 'default', rope_theta: c.rope_theta };
  if (c.rope_scaling) Object.assign(rope, c.rope_scaling);
  const out: Json = {
    architectures: [ARCH[c.model_type]],
    model_type: c.model_type,
    vocab_size: c.vocab_size,
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    num_key_value_heads: c.num_key_value_heads,
    head_dim: c.head_dim,
    hidden_act: 'silu',
    max_position_embeddings: c.max_position_embeddings,
    rms_norm_eps: c.rms_norm_eps,
    rope_theta: c.rope_theta,
    rope_scaling: c.rope_scaling ? { ...c.rope_scaling } : null,
    rope_parameters: rope,
    tie_word_embeddings: c.tie_word_embeddings,
    initializer_range: c.initializer_range,
    bos_token_id: c.bos_token_id,
    eos_token_id: c.eos_token_id,
    pad_token_id: c.pad_token_id,
    torch_dtype: opts.torchDtype ?? c.torch_dtype,
    use_cache: true,
    attention_dropout: 0,
  };
  if (c.model_type === 'llama') Object.assign(out, { attention_bias: c.qkv_bias, mlp_bias: false, pretraining_tp: 1 });
  if (c.model_type === 'mistral') out.sliding_window = c.sliding_window;
  if (c.model_type === 'qwen2') {
    const sliding = c.layer_windows.some((w) => w !== null);
    Object.assign(out, {
      use_sliding_window: sliding, sliding_window: c.sliding_window, max_window_layers: sliding ? c.layer_windows.findIndex((w) => w !== null) : c.num_hidden_layers,
      layer_types: c.layer_windows.map((w) => (w === null ? 'full_attention' : 'sliding_attention')),
    });
  }
  return out;
}

/** Number of parameters (weights and biases) of a config. */
export function countParams(c: ModelConfig): number {
  const C = c.hidden_size, q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim, I = c.intermediate_size;
  const layer = 2 * C + C * (q + 2 * kv) + (c.qkv_bias ? q + 2 * kv : 0) + q * C + (c.o_bias ? C : 0) + 3 * C * I;
  return c.vocab_size * C * (c.tie_word_embeddings ? 1 : 2) + C + c.num_hidden_layers * layer;
}
