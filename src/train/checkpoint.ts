// Checkpoint folders OUT/checkpoint-STEP: model files + optimizer moments + trainer state (step, data position,
// scheduler, RNG, log history), each written atomically as a whole folder. Not the model format (the engine's).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeDirAtomicAsync, writeFileAtomic } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import type { AdamWState } from './optimizer.js';

export const TRAINER_STATE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.bin';

export interface TrainerState {
  global_step: number;
  max_steps: number;
  epoch: number;                 // float epoch at this step (HF)
  num_tokens: number;            // cumulative attention tokens seen (TRL num_tokens)
  /** Data order: epoch e uses epochOrder(n, seed, e); the next step starts at micro-batch next_micro_batch. */
  data: { seed: number; steps_per_epoch: number; micro_batches_per_epoch: number; next_epoch: number; next_micro_batch: number };
  scheduler: { type: string; warmup_steps: number; total_steps: number; learning_rate: number };
  rng_state: [number, number, number, number];
  log_history: Record<string, number>[];
  radpo_version: string;
}

function f32Bytes(a: Float32Array): Uint8Array { return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); }

/** Reads little-endian float32 values from `bytes` at `offset` into a fresh array of length n. */
function readF32(bytes: Buffer, offset: number, n: number, file: string): Float32Array {
  if (bytes.length < offset + 4 * n) throw new RadpoError('io', `truncated file: need ${offset + 4 * n} bytes, found ${bytes.length}`, { file });
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * n));
  return out;
}

export interface CheckpointContents {
  state: TrainerState;
  optimizer: AdamWState;
  config: Record<string, unknown>;
  /** Writes the model files (HF folder) into dir. */
  saveModel: (dir: string) => Promise<void> | void;
}

export async function saveCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  await writeDirAtomicAsync(dir, async (tmp) => {
    await c.saveModel(tmp);
    const o = c.optimizer;
    const header = Buffer.from(JSON.stringify({ step: o.step, size: o.m.length }).padEnd(120, ' ') + '\n');
    const fd = fs.openSync(path.join(tmp, OPTIMIZER_FILE), 'w');
    try {
      fs.writeSync(fd, header); fs.writeSync(fd, f32Bytes(o.m)); fs.writeSync(fd, f32Bytes(o.v)); fs.fsyncSync(fd);
    } finally { fs.closeSync(fd); }
    writeFileAtomic(path.join(tmp, TRAINER_STATE), JSON.stringify(c.state, null, 1) + '\n');
    writeFileAtomic(path.join(tmp, 'training_args.json'), JSON.stringify(c.config, null, 2) + '\n');
  });
}

export function loadTrainerState(dir: string): TrainerState {
  const file = path.join(dir, TRAINER_STATE);
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) as TrainerState; } catch (e) {
    throw new RadpoError('io', `cannot read trainer state: ${(e as Error).message}`, { file });
  }
}

export function loadOptimizer(dir: string, size: number): AdamWState {
  const file = path.join(dir, OPTIMIZER_FILE);
  let bytes: Buffer;
  try { bytes = fs.readFileSync(file); } catch (e) { throw new RadpoError('io', `cannot read optimizer state: ${(e as Error).message}`, { file }); }
  const header = JSON.parse(bytes.subarray(0, 121).toString('utf8')) as { step: number; size: number };
  if (header.size !== size) throw new RadpoError('model', `optimizer state has ${header.size} values but the model has ${size} parameters`, { file });
  return { step: header.step, m: readF32(bytes, 121, size, file), v: readF32(bytes, 121 + 4 * size, size, file) };
}

/** Checkpoint folders in outputDir, sorted by step (ascending). */
export function listCheckpoints(outputDir: string): { dir: string; step: number }[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs.readdirSync(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(outputDir, m[0], TRAINER_STATE)))
    .map((m) => ({ dir: path.join(outputDir, m[0]), step: Number(m[1]) }))
    .sort((a, b) => a.step - b.step);
}

/** `resume_from_checkpoint`: a folder, or "true" for the latest checkpoint in outputDir. */
export function resolveResume(value: string, outputDir: string | undefined): string {
  if (value === 'true') {
    if (!outputDir) throw new RadpoError('config', 'resume_from_checkpoint "true" needs output_dir', { field: 'resume_from_checkpoint', value });
    const all = listCheckpoints(outputDir);
    const last = all[all.length - 1];
    if (!last) throw new RadpoError('config', `no checkpoint-STEP folder with ${TRAINER_STATE} in ${outputDir}`, { field: 'resume_from_checkpoint', value });
    return last.dir;
  }
  if (!fs.existsSync(path.join(value, TRAINER_STATE))) {
    throw new RadpoError('config', `not a checkpoint folder (no ${TRAINER_STATE})`, { field: 'resume_from_checkpoint', value });
  }
  return value;
}

/** Removes the oldest checkpoints beyond `limit`. */
export function rotateCheckpoints(outputDir: string, limit: number | undefined): void {
  if (limit === undefined) return;
  const all = listCheckpoints(outputDir);
  for (const c of all.slice(0, Math.max(0, all.length - limit))) fs.rmSync(c.dir, { recursive: true, force: true });
}

/** Raw float32 parameter file, for models without an HF save (tests, tiny models). */
export function saveParamsBin(dir: string, data: Float32Array): void { writeFileAtomic(path.join(dir, 'params.bin'), f32Bytes(data)); }
export function loadParamsBin(dir: string, size: number): Float32Array {
  const file = path.join(dir, 'params.bin');
  return readF32(fs.readFileSync(file), 0, size, file);
}
