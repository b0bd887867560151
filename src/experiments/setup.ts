// Builds what a synthetic-task experiment trains: a character tokenizer with a compact chat template and a tiny
// Llama-family model sized for CPU. Not training or evaluation (pipeline.ts, evaluate.ts).

import { buildTokenizer } from '../model/tokenizer_build.js';
import { Tokenizer } from '../model/tokenizer.js';
import { Model } from '../model/model.js';
import { parseModelConfig } from '../model/config.js';
import { goalText } from '../data/goal.js';
import type { Task } from '../tasks/task.js';
import type { Message } from '../tasks/generate.js';

/**
 * Compact chat template: user text, then any system text, each ending in "\n", then the assistant text and
 * <|im_end|>. A goal in "system" placement therefore sits right before the response ("sort dbeca\ngoal 10\n"); in
 * "prompt" placement it leads the user text ("goal 10\n\nsort dbeca\n"). About 20 characters either way.
 */
export const TASK_CHAT_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ message['content'] + '\\n' }}{% endif %}{% endfor %}" +
  "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] + '\\n' }}{% endif %}{% endfor %}" +
  "{% for message in messages %}{% if message['role'] == 'assistant' %}{{ message['content'] + '<|im_end|>' }}{% endif %}{% endfor %}";

/** Goal text of the experiments: the reference text is ~200 characters, too long for a char-level toy model. */
export const TASK_GOAL_TEMPLATE = 'goal {score}';

/**
 * Character tokenizer of a task. `numbers: 'whole'` adds one token per integer 10-100 (as Llama-3's tokenizer keeps
 * numbers of up to three digits whole), so goal 10 is not read as goal 1 followed by a 0; 'digits' splits numbers.
 */
export function taskTokenizer(task: Task, numbers: 'digits' | 'whole' = 'digits'): Tokenizer {
  const corpus = [task.alphabet, '0123456789.-\n goal'];
  const merges: [string, string][] = [];
  if (numbers === 'whole') {
    for (let n = 10; n <= 99; n++) merges.push([String(n)[0]!, String(n)[1]!]);
    merges.push(['10', '0']);
  }
  const built = buildTokenizer({ kind: 'char', corpus, chatTemplate: TASK_CHAT_TEMPLATE, merges });
  return new Tokenizer({ tokenizerJson: built.tokenizerJson as never, tokenizerConfig: built.tokenizerConfig as never, source: `<${task.name} tokenizer>` });
}

export interface ModelSize { hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number }

export const MODEL_SIZES: Record<string, ModelSize> = {
  tiny: { hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 96 },
  small: { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128 },
  base: { hidden_size: 96, num_hidden_layers: 3, num_attention_heads: 4, intermediate_size: 192 },
};

export function taskModel(tok: Tokenizer, size: ModelSize, seed: number): Model {
  const config = parseModelConfig({
    model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: size.hidden_size, intermediate_size: size.intermediate_size,
    num_hidden_layers: size.num_hidden_layers, num_attention_heads: size.num_attention_heads, num_key_value_heads: size.num_attention_heads,
    head_dim: size.hidden_size / size.num_attention_heads, max_position_embeddings: 128, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: true, bos_token_id: null, eos_token_id: tok.eosTokenId, pad_token_id: tok.padTokenId, initializer_range: 0.05,
  }, '<task model>');
  return Model.init(config, seed);
}

export interface GoalOptions { template?: string; scale?: [number, number]; placement?: 'prompt' | 'system' }

/**
 * The prompt messages for `prompt` at goal `g`, as radpo augment builds them: "prompt" placement puts the goal
 * text and a blank line before the user text; "system" placement adds a system message first. null: no goal.
 */
export function conditionedPrompt(prompt: string, goal: number | null, o: GoalOptions = {}): Message[] {
  if (goal === null) return [{ role: 'user', content: prompt }];
  const text = goalText(goal, { template: o.template ?? TASK_GOAL_TEMPLATE, scale: o.scale });
  return (o.placement ?? 'prompt') === 'system' ? [{ role: 'system', content: text }, { role: 'user', content: prompt }] : [{ role: 'user', content: `${text}\n\n${prompt}` }];
}
