import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { readRecipe, resolveOptions } from '../../src/util/options.js';
import { DPO_OPTIONS, SFT_OPTIONS } from '../../src/train/config.js';

test('every shipped recipe parses against its option table, and DPO recipes carry the reference settings', () => {
  // the trainer recipes (other recipes in this folder, e.g. ira_small.yaml, belong to other commands)
  const files = fs.readdirSync('recipes').filter((f) => /^(dpo|ra_dpo|sft|reference_dpo)_.*\.yaml$/.test(f));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const table = f.startsWith('sft') ? SFT_OPTIONS : DPO_OPTIONS;
    const r = resolveOptions(table, readRecipe(table, `recipes/${f}`));
    if (table === DPO_OPTIONS) {
      const d = r as ReturnType<typeof resolveOptions<typeof DPO_OPTIONS>>;
      // method.md §2.3: beta 0.01, cosine, warmup ratio 0.1, 1 epoch
      assert.equal(d.beta, 0.01, f); assert.equal(d.lr_scheduler_type, 'cosine', f);
      assert.equal(d.warmup_ratio, 0.1, f); assert.equal(d.num_train_epochs, 1, f);
      if (f.startsWith('reference')) {
        assert.equal(d.learning_rate, 5e-7, f);
        assert.equal(d.per_device_train_batch_size * d.gradient_accumulation_steps, 128, f);
        assert.equal(d.max_length, 1024, f); assert.equal(d.max_prompt_length, 512, f);
      }
    }
  }
});
