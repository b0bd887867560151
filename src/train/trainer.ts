// The training loop shared by SFT and DPO: seeded data order, gradient accumulation, clipping, AdamW, schedule,
// logging (metrics.jsonl), evaluation, checkpoints and bit-identical resume. Not a loss: a TrainTask supplies it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { VERSION } from '../version.js';
import { listCheckpoints, loadOptimizer, loadTrainerState, resolveResume, rotateCheckpoints, saveCheckpoint, type TrainerState } from './checkpoint.js';
import type { LmBatch } from './collate.js';
import type { TrainArgs } from './config.js';
import type { TrainableModel } from './model_api.js';
import type { StepNorm } from './objective.js';
import { AdamW, clipCoefficient, decayMaskFor, gradNorm } from './optimizer.js';
import { lrMultiplier, warmupSteps, type LrSchedulerType } from './schedule.js';

/** What differs between SFT and DPO: batching, step denominators, and one micro-batch pass. */
export interface TrainTask<Row, Batch extends LmBatch> {
  name: string;                                   // 'sft' | 'dpo' (progress label)
  collate(rows: Row[]): Batch;
  norm(batches: Batch[]): StepNorm;
  /** forward (+ objective, + backward when train) of one micro-batch. */
  run(batch: Batch, norm: StepNorm, train: boolean): Promise<{ loss: number; metrics: Record<string, number>; count: number }>;
}

export interface TrainResult<M = TrainableModel> {
  model: M;
  /** Every logged object (training and eval), in order, as written to metrics.jsonl. */
  metrics: Record<string, number>[];
  outputDir?: string;
  globalStep: number;
}

export interface LoopOptions {
  onLog?: (m: Record<string, number>) => void;
  quiet?: boolean;
  /** Writes the model files of a checkpoint / the final model. */
  saveModel: (dir: string) => Promise<void> | void;
  /** Reads the weights of a checkpoint folder (flat, same layout as model.params.data). */
  loadWeights: (dir: string) => Promise<Float32Array> | Float32Array;
  /** Resolved config to record in the run folder and each checkpoint. */
  config: Record<string, unknown>;
  /** Extra counters to log once with the first entry (e.g. dropped rows). */
  info?: Record<string, number>;
}

/** The data order of one epoch: a seeded permutation (RandomSampler). */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  return rng.shuffle(Array.from({ length: n }, (_, i) => i));
}

class MetricWindow {
  private sums = new Map<string, number>();
  private weights = new Map<string, number>();
  add(m: Record<string, number>, w: number): void {
    for (const [k, v] of Object.entries(m)) {
      this.sums.set(k, (this.sums.get(k) ?? 0) + v * w);
      this.weights.set(k, (this.weights.get(k) ?? 0) + w);
    }
  }
  means(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, s] of this.sums) out[k] = s / (this.weights.get(k) || 1);
    return out;
  }
  clear(): void { this.sums.clear(); this.weights.clear(); }
}

export async function runTraining<Row, Batch extends LmBatch>(
  args: TrainArgs, model: TrainableModel, task: TrainTask<Row, Batch>, train: Row[], evalRows: Row[] | null, o: LoopOptions,
): Promise<TrainResult> {
  const N = train.length;
  if (N === 0) throw new RadpoError('input', 'no training rows left (all were dropped or the split is empty)', { field: 'dataset_train_split' });
  const B = args.per_device_train_batch_size, A = args.gradient_accumulation_steps;
  const M = Math.ceil(N / B);                      // micro-batches per epoch
  const S = Math.ceil(M / A);                      // optimizer steps per epoch
  const total = args.max_steps > 0 ? args.max_steps : Math.ceil(args.num_train_epochs * S);
  const warm = warmupSteps(total, args.warmup_steps, args.warmup_ratio);
  const sched = args.lr_scheduler_type as LrSchedulerType;
  const out = args.output_dir;
  const P = model.params.data.length;

  model.enableGrad();
  const grads = (): Float32Array => {
    if (!model.grads) throw new Error('model.enableGrad() did not allocate gradients');
    return model.grads.data;
  };
  const opt = new AdamW(P, {
    beta1: args.adam_beta1, beta2: args.adam_beta2, eps: args.adam_epsilon, weightDecay: args.weight_decay,
    decayMask: model.params.entries ? decayMaskFor([...model.params.entries], P) : null,
  });
  let globalStep = 0;
  let numTokens = 0;
  let rng = new Rng(args.seed);
  const history: Record<string, number>[] = [];

  if (args.resume_from_checkpoint) {
    const dir = resolveResume(args.resume_from_checkpoint, out);
    const st = loadTrainerState(dir);
    if (st.data.steps_per_epoch !== S || st.data.seed !== args.seed) {
      throw new RadpoError('config', `checkpoint was made with ${st.data.steps_per_epoch} steps per epoch and seed ${st.data.seed}; this run has ${S} and ${args.seed} (same data and batch settings are needed to resume)`, { file: path.join(dir, 'trainer_state.json') });
    }
    model.params.data.set(await o.loadWeights(dir));
    opt.state = loadOptimizer(dir, P);
    globalStep = st.global_step;
    numTokens = st.num_tokens;
    rng = Rng.fromState(st.rng_state);
    history.push(...st.log_history.filter((h) => (h.step ?? 0) <= globalStep));
  }

  const writeMetrics = (): void => {
    if (out) writeFileAtomic(path.join(out, 'metrics.jsonl'), history.map((h) => JSON.stringify(h)).join('\n') + (history.length ? '\n' : ''));
  };
  const emit = (entry: Record<string, number>): void => {
    history.push(entry);
    o.onLog?.(entry);
    writeMetrics();
  };
  if (out) {
    fs.mkdirSync(out, { recursive: true });
    writeJsonAtomic(path.join(out, 'training_args.json'), o.config);
    writeJsonAtomic(path.join(out, 'run_info.json'), runInfo());
  }

  const state = (epoch: number): TrainerState => ({
    global_step: globalStep, max_steps: total, epoch, num_tokens: numTokens,
    data: { seed: args.seed, steps_per_epoch: S, micro_batches_per_epoch: M, next_epoch: Math.floor(globalStep / S), next_micro_batch: (globalStep % S) * A },
    scheduler: { type: sched, warmup_steps: warm, total_steps: total, learning_rate: args.learning_rate },
    rng_state: rng.state(), log_history: history, radpo_version: VERSION,
  });
  const checkpoint = async (epoch: number): Promise<void> => {
    if (!out || args.save_strategy === 'no') return;
    await saveCheckpoint(path.join(out, `checkpoint-${globalStep}`), { state: state(epoch), optimizer: opt.state, config: o.config, saveModel: o.saveModel });
    rotateCheckpoints(out, args.save_total_limit);
  };
  const lastGood = (): string => {
    const all = out ? listCheckpoints(out) : [];
    const last = all[all.length - 1];
    return last ? `last good checkpoint: ${last.dir}` : 'no checkpoint was written';
  };

  const evaluate = async (epoch: number): Promise<void> => {
    if (!evalRows || evalRows.length === 0) return;
    const E = args.per_device_eval_batch_size;
    const batches: Batch[] = [];
    for (let i = 0; i < evalRows.length; i += E) batches.push(task.collate(evalRows.slice(i, i + E)));
    const norm = task.norm(batches);
    const win = new MetricWindow();
    let loss = 0;
    for (const b of batches) {
      const r = await task.run(b, norm, false);
      loss += r.loss;
      win.add(r.metrics, r.count);
    }
    const m = win.means();
    const entry: Record<string, number> = { step: globalStep, epoch, eval_loss: loss };
    for (const [k, v] of Object.entries(m)) if (k !== 'loss') entry[`eval_${k}`] = v;
    emit(entry);
  };

  const bar = new Progress({ total, label: `train ${task.name}`, unit: 'steps', ...(o.quiet || args.disable_tqdm ? { enabled: false } : {}) });
  bar.update(globalStep);
  const win = new MetricWindow();
  let winLoss = 0, winSteps = 0;
  let order: number[] = [];
  let orderEpoch = -1;
  let epochF = 0;
  const evalEvery = args.eval_steps ?? args.logging_steps;
  let pendingInfo = globalStep === 0 ? o.info : undefined;

  while (globalStep < total) {
    const epoch = Math.floor(globalStep / S);
    if (epoch !== orderEpoch) { order = epochOrder(N, args.seed, epoch); orderEpoch = epoch; }
    const k = globalStep % S;
    const batches: Batch[] = [];
    let lastMicro = 0;
    for (let j = k * A; j < Math.min((k + 1) * A, M); j++) {
      batches.push(task.collate(order.slice(j * B, Math.min((j + 1) * B, N)).map((i) => train[i] as Row)));
      lastMicro = j;
    }
    const norm = task.norm(batches);
    model.zeroGrad();
    let stepLoss = 0;
    for (const b of batches) {
      const r = await task.run(b, norm, true);
      stepLoss += r.loss;
      win.add(r.metrics, r.count);
      let t = 0;
      for (let i = 0; i < b.attentionMask.length; i++) t += b.attentionMask[i] as number;
      numTokens += t;
    }
    epochF = epoch + (lastMicro + 1) / M;
    const gn = gradNorm(grads()); // clipped inside the update (opt.step's gradScale), as clip_grad_norm_ would
    if (!Number.isFinite(stepLoss) || !Number.isFinite(gn)) {
      bar.done();
      emit({ step: globalStep + 1, epoch: epochF, loss: stepLoss, grad_norm: gn });
      throw new RadpoError('numeric', `${!Number.isFinite(stepLoss) ? `loss is ${stepLoss}` : `gradient norm is ${gn}`} at step ${globalStep + 1}; training stopped before the update (${lastGood()})`);
    }
    const lr = args.learning_rate * lrMultiplier(sched, globalStep, total, warm);
    opt.step(model.params.data, grads(), lr, clipCoefficient(gn, args.max_grad_norm));
    globalStep++;
    winLoss += stepLoss; winSteps++;

    const isLast = globalStep === total;
    if (globalStep % args.logging_steps === 0 || (globalStep === 1 && args.logging_first_step) || isLast) {
      const entry: Record<string, number> = { step: globalStep, epoch: epochF, loss: winLoss / winSteps, grad_norm: gn, learning_rate: lr };
      for (const [key, v] of Object.entries(win.means())) if (key !== 'loss') entry[key] = v;
      entry.num_tokens = numTokens;
      if (pendingInfo) { Object.assign(entry, pendingInfo); pendingInfo = undefined; }
      emit(entry);
      win.clear(); winLoss = 0; winSteps = 0;
    }
    const epochEnd = globalStep % S === 0;
    if ((args.eval_strategy === 'steps' && (globalStep % evalEvery === 0 || isLast)) || (args.eval_strategy === 'epoch' && (epochEnd || isLast))) {
      await evaluate(epochF);
    }
    if (args.save_strategy === 'steps' && (globalStep % args.save_steps === 0 || isLast)) await checkpoint(epochF);
    const last = history[history.length - 1];
    bar.update(globalStep, last ? `loss ${fmt(last.loss ?? last.eval_loss)}${last['rewards/accuracies'] !== undefined ? ` acc ${fmt(last['rewards/accuracies'])}` : ''}` : '');
  }
  bar.done();
  if (out) await saveModelInto(out, o.saveModel);
  writeMetrics();
  return { model, metrics: history, ...(out ? { outputDir: out } : {}), globalStep };
}

/** Writes the model files into `out` without disturbing what is already there (checkpoints, metrics). */
async function saveModelInto(out: string, save: (dir: string) => Promise<void> | void): Promise<void> {
  const tmp = path.join(out, `.final-model.${process.pid}.tmp`);
  fs.rmSync(tmp, { recursive: true, force: true });
  await save(tmp);
  for (const name of fs.readdirSync(tmp)) fs.renameSync(path.join(tmp, name), path.join(out, name));
  fs.rmSync(tmp, { recursive: true, force: true });
}

function fmt(x: number | undefined): string { return x === undefined ? '?' : x.toFixed(4); }

function runInfo(): Record<string, unknown> {
  let commit: string | null = null;
  try {
    const head = fs.readFileSync('.git/HEAD', 'utf8').trim();
    commit = head.startsWith('ref: ') ? fs.readFileSync(path.join('.git', head.slice(5)), 'utf8').trim() : head;
  } catch { /* not a git checkout */ }
  const cpus = os.cpus();
  return { radpo_version: VERSION, node: process.version, platform: process.platform, arch: process.arch, cpu: cpus[0]?.model ?? null, cpus: cpus.length, commit, started: new Date().toISOString() };
}
