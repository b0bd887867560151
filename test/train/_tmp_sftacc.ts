import { trainSft } from '/work/main/src/train/sft.js';
import { maxAbsDiff, randomPairs, tinyModel } from '/work/main/test/train/helpers.js';
const base = { learning_rate: 1e-2, logging_steps: 1, seed: 3, max_length: 64, lr_scheduler_type: 'constant' as const };
const sft = randomPairs(16, 4).map((p) => ({ input_ids: [...p.prompt_ids, ...p.chosen_ids], completion_mask: [...p.prompt_ids.map(() => 0), ...p.chosen_ids.map(() => 1)] }));
const s1 = await trainSft({ ...base, max_steps: 2, per_device_train_batch_size: 8 }, { model: tinyModel(6), train: sft, quiet: true });
const s2 = await trainSft({ ...base, max_steps: 2, per_device_train_batch_size: 1, gradient_accumulation_steps: 8 }, { model: tinyModel(6), train: sft, quiet: true });
console.log(maxAbsDiff(s1.model.params.data, s2.model.params.data), s1.metrics, s2.metrics);
