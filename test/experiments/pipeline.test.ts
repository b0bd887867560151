import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentPairs } from '../../src/data/augment.js';
import type { Row } from '../../src/data/types.js';
import { generateTaskData } from '../../src/tasks/generate.js';
import { getTask } from '../../src/tasks/registry.js';
import { resolveOptions } from '../../src/util/options.js';
import { RUN_OPTIONS, variantData, type RunContext } from '../../src/experiments/pipeline.js';
import { conditionedPrompt, taskTokenizer, TASK_GOAL_TEMPLATE } from '../../src/experiments/setup.js';
import { tokenizePair } from '../../src/model/tokenize_pair.js';
import type { ChatMessage } from '../../src/model/chat_template.js';

function context(goal_scale: '1-5' | '1-10' | '0-100' = '1-10'): RunContext {
  // prompt placement keeps the goal inside the user text, which the assertions below read
  const cfg = resolveOptions(RUN_OPTIONS, { num_prompts: 60, goal_scale, goal_placement: 'prompt' });
  const task = getTask('sort');
  const data = generateTaskData(task, { numPrompts: 60, numSftPrompts: 10, seed: 4 });
  return { cfg, task, data, tok: taskTokenizer(task), goal: { template: TASK_GOAL_TEMPLATE }, topGoal: 10, sft: null as never, sftLog: [], evalPrompts: [] };
}

test('evaluation prompts are conditioned exactly as radpo augment conditions training prompts', () => {
  const ctx = context();
  const aug = augmentPairs(ctx.data.train_prefs as unknown as Row[], { placement: 'prompt', goal_template: TASK_GOAL_TEMPLATE });
  const first = ctx.data.train_prefs[0]!;
  const chosen = aug[0]!.chosen as { role: string; content: string }[];
  assert.deepEqual(conditionedPrompt(first.prompt, first.score_chosen), [chosen[0]]);
  assert.equal(conditionedPrompt('sort cba', 10)[0]!.content, 'goal 10\n\nsort cba');
  assert.equal(conditionedPrompt('sort cba', null)[0]!.content, 'sort cba');
  const sys = augmentPairs(ctx.data.train_prefs as unknown as Row[], { placement: 'system', goal_template: TASK_GOAL_TEMPLATE });
  assert.deepEqual(conditionedPrompt(first.prompt, first.score_chosen, { placement: 'system' }), (sys[0]!.chosen as unknown[]).slice(0, 2));
});

test('the char tokenizer and compact template: prompt, completion and end-of-turn tokens', () => {
  const tok = taskTokenizer(getTask('sort'));
  const t = tokenizePair(tok, { prompt: conditionedPrompt('sort cba', 10) as ChatMessage[], completion: [{ role: 'assistant', content: 'abc' }] });
  assert.equal(tok.decode(t.input_ids.slice(0, t.prompt_length)), 'goal 10\n\nsort cba\n');
  assert.equal(tok.decode(t.input_ids.slice(t.prompt_length)), 'abc<|im_end|>');
  assert.equal(t.input_ids.length, 'goal 10\n\nsort cba\n'.length + 4); // one id per character + <|im_end|>
  // digits (default): goal 10 begins with the token of goal 1; whole: each number 10-100 is one token
  assert.equal(tok.encode('goal 10')[5], tok.encode('goal 1')[5]);
  const whole = taskTokenizer(getTask('sort'), 'whole');
  for (const g of [1, 9, 10, 55, 100]) assert.deepEqual(whole.encode(`goal ${g}`).slice(5).map((i) => whole.decode([i])), [String(g)]);
  assert.deepEqual(whole.encode('sort cba'), tok.encode('sort cba'));
  assert.equal(t.input_ids[t.input_ids.length - 1], tok.eosTokenId);
  // system placement: the template renders the goal after the user text, right before the response
  const s = tokenizePair(tok, { prompt: conditionedPrompt('sort cba', 10, { placement: 'system' }) as ChatMessage[], completion: [{ role: 'assistant', content: 'abc' }] });
  assert.equal(tok.decode(s.input_ids.slice(0, s.prompt_length)), 'sort cba\ngoal 10\n');
});

test('variants: RA doubles the pairs (positives, then swapped negatives), controls match the paper', () => {
  const ctx = context();
  const n = ctx.data.train_prefs.length;
  const dpo = variantData(ctx, 'dpo');
  const ra = variantData(ctx, 'ra_dpo');
  assert.equal(dpo.length, n);
  assert.equal(ra.length, 2 * n);
  assert.equal(variantData(ctx, 'dpo_dup').length, 2 * n);
  assert.equal(variantData(ctx, 'ra_dpo_half').length, 2 * Math.floor(n / 2));
  const src = ctx.data.train_prefs[0]!;
  const pos = ra[0]!, neg = ra[n]!;
  assert.equal((pos.prompt as { content: string }[])[0]!.content, `goal ${src.score_chosen}\n\n${src.prompt}`);
  assert.equal((neg.prompt as { content: string }[])[0]!.content, `goal ${src.score_rejected}\n\n${src.prompt}`);
  assert.deepEqual(neg.chosen, [src.rejected[1]]);
  assert.deepEqual(neg.rejected, [src.chosen[1]]);
  const noTop = variantData(ctx, 'ra_dpo_no_top');
  assert.ok(noTop.length < ra.length && noTop.every((p) => !(p.prompt as { content: string }[])[0]!.content.startsWith('goal 10\n')));
  // 0-100 scale: score s maps to 100 (s - 1) / 9, printed as an integer
  const ra100 = variantData(context('0-100'), 'ra_dpo');
  assert.equal((ra100[0]!.prompt as { content: string }[])[0]!.content, `goal ${Math.round((100 * (src.score_chosen - 1)) / 9)}\n\n${src.prompt}`);
});
