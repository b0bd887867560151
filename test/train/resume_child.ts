// Child process for the SIGKILL resume test: trains with a checkpoint every step and sleeps after each logged
// step so the parent can kill it mid-run. argv: OUT MAX_STEPS [resume]. Not a test file.
import { trainDpo } from '../../src/train/dpo.js';
import { randomPairs, tinyModel } from './helpers.js';

const [out, maxSteps, resume] = process.argv.slice(2);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
await trainDpo(
  { learning_rate: 1e-2, logging_steps: 1, seed: 11, max_steps: Number(maxSteps), per_device_train_batch_size: 2, gradient_accumulation_steps: 2, lr_scheduler_type: 'cosine', warmup_steps: 2, weight_decay: 0.1, output_dir: out, save_steps: 1, ...(resume ? { resume_from_checkpoint: resume } : {}) },
  { model: tinyModel(21), train: randomPairs(10, 5), quiet: true, onLog: () => { if (!resume) Atomics.wait(sleeper, 0, 0, 150); } },
);
