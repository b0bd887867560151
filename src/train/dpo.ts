// trainDpo: DPO-family preference training (TRL DPOTrainer semantics) on radpo's engine. Not the loss formulas
// (losses.ts) or the loop (trainer.ts): this wires data, reference model and objective together.

import { RadpoError } from '../util/errors.js';
import { resolveOptions } from '../util/options.js';
import type { PreferencePair } from '../data/types.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { assertRowsFit, collatePreference, fitPairs, type DpoBatch, type LengthOptions, type TokenizedPair } from './collate.js';
import { DPO_OPTIONS, type DpoConfig } from './config.js';
import { checkLossParams, type LossType } from './losses.js';
import type { TrainableModel } from './model_api.js';
import type { Model } from '../model/model.js';
import { loadModelFor, loadTrainRows, modelIo, padIdOf } from './model_io.js';
import { dpoObjective, referenceLogps, scoredTokens, type DpoObjectiveOptions, type StepNorm } from './objective.js';
import { defaultRefCacheDir, precomputeRefLogps } from './ref_cache.js';
import { runTraining, type TrainResult, type TrainTask } from './trainer.js';
import { isTokenizedPairs, tokenizePreference } from './tokenize.js';

export interface TrainDpoOptions<M extends TrainableModel = Model> {
  model?: M;
  refModel?: TrainableModel;
  tokenizer?: Tokenizer;
  train?: PreferencePair[] | TokenizedPair[];
  eval?: PreferencePair[] | TokenizedPair[];
  onLog?: (m: Record<string, number>) => void;
  quiet?: boolean;
}

export async function trainDpo<M extends TrainableModel = Model>(config: Partial<DpoConfig>, opts: TrainDpoOptions<M> = {}): Promise<TrainResult<M>> {
  const cfg = resolveOptions(DPO_OPTIONS, config as Record<string, unknown>);
  const lossErr = checkLossParams(cfg.loss_type as LossType, cfg);
  if (lossErr) throw new RadpoError('config', lossErr, { field: 'label_smoothing', value: cfg.label_smoothing });
  const { model, tokenizer } = await loadModelFor(cfg, opts.model, opts.tokenizer);
  const len: LengthOptions = { max_length: cfg.max_length, max_prompt_length: cfg.max_prompt_length, truncation_mode: cfg.truncation_mode };
  const padId = padIdOf(model, tokenizer);

  const toTokens = (rows: PreferencePair[] | TokenizedPair[]): TokenizedPair[] => {
    if (rows.length === 0) return [];
    if (isTokenizedPairs(rows)) {
      const wc = cfg.weight_column;
      if (wc === undefined) return rows;
      return rows.map((r) => {
        const w = (r as unknown as Record<string, unknown>)[wc];
        if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RadpoError('input', 'per-pair weight must be a finite number >= 0', { field: wc, value: w });
        return { ...r, weight: w };
      });
    }
    if (!tokenizer) throw new RadpoError('config', 'text rows need a tokenizer (pass one, or a model folder with tokenizer.json)', { field: 'model_name_or_path' });
    return (rows as PreferencePair[]).map((p) => tokenizePreference(tokenizer, p, cfg.weight_column));
  };
  const trainRaw = opts.train ?? (await loadTrainRows(cfg, 'dpo', cfg.dataset_train_split)) as PreferencePair[] | TokenizedPair[];
  const evalRaw = opts.eval ?? (cfg.eval_strategy !== 'no' && cfg.dataset_name ? (await loadTrainRows(cfg, 'dpo', cfg.dataset_test_split)) as PreferencePair[] : []);
  const fitTrain = fitPairs(toTokens(trainRaw), len);
  const fitEval = fitPairs(toTokens(evalRaw), len);
  assertRowsFit(fitTrain.kept.length, fitTrain.dropped, len);
  let train = fitTrain.kept;
  let evalRows = fitEval.kept;

  const V = model.config.vocab_size;
  let ref: TrainableModel | null = null;
  const refSource = (): TrainableModel => opts.refModel ?? ref ?? model;
  if (opts.refModel) ref = opts.refModel;
  else if (cfg.ref_model_name_or_path) ref = (await loadModelFor({ ...cfg, model_name_or_path: cfg.ref_model_name_or_path }, undefined, tokenizer)).model;
  const info: Record<string, number> = { dropped_train_rows: fitTrain.dropped, dropped_eval_rows: fitEval.dropped };
  if (cfg.precompute_ref_log_probs) {
    // Before training (and before resuming weights), the policy itself is the reference unless one was given.
    const cacheDir = cfg.ref_logps_cache_dir ?? (cfg.output_dir ? defaultRefCacheDir() : null);
    const pre = { len, padId, batchSize: cfg.per_device_eval_batch_size, cacheDir };
    const t = await precomputeRefLogps(train, refSource(), pre);
    train = t.pairs;
    if (evalRows.length) evalRows = (await precomputeRefLogps(evalRows, refSource(), pre)).pairs;
    info.ref_logps_cache_hit = t.hit ? 1 : 0;
    ref = null;
  } else if (!ref) {
    ref = modelIo(model).clone();
  }

  const objective: DpoObjectiveOptions = {
    loss_type: cfg.loss_type as LossType, beta: cfg.beta, label_smoothing: cfg.label_smoothing, discopop_tau: cfg.discopop_tau, rpo_alpha: cfg.rpo_alpha,
  };
  // One logits buffer reused by every forward (reference and policy): each is consumed before the next forward.
  let logitsBuf: Float32Array | undefined;
  const logitsFor = (n: number): Float32Array => (logitsBuf?.length === n ? logitsBuf : (logitsBuf = new Float32Array(n)));
  const task: TrainTask<TokenizedPair, DpoBatch> = {
    name: 'dpo',
    collate: (rows) => collatePreference(rows, padId, len),
    norm: (batches): StepNorm => ({
      pairs: batches.reduce((a, b) => a + b.n, 0),
      chosenTokens: Math.max(1, batches.reduce((a, b) => a + scoredTokens(b, b.n), 0)),
      tokens: 1,
    }),
    run: async (b, norm, trainMode) => {
      if (!b.refChosen || !b.refRejected) {
        if (!ref) throw new Error('trainDpo: no reference model and no precomputed reference log-probs');
        const rl = await referenceLogps(await ref.forward(b.ids, b.B, b.T, { attentionMask: b.attentionMask, train: false, logitsOut: logitsFor(b.B * b.T * V) }), b, V);
        b.refChosen = rl.slice(0, b.n);
        b.refRejected = rl.slice(b.n);
      }
      const logits = await model.forward(b.ids, b.B, b.T, { attentionMask: b.attentionMask, train: trainMode, logitsOut: logitsFor(b.B * b.T * V) });
      const r = await dpoObjective(logits, b, V, objective, norm, trainMode);
      if (trainMode) await model.backward(r.dlogits);
      return r;
    },
  };
  const io = modelIo(model);
  const result = await runTraining(cfg, model, task, train, evalRows.length ? evalRows : null, {
    ...(opts.onLog ? { onLog: opts.onLog } : {}), quiet: opts.quiet ?? false,
    saveModel: (dir) => io.save(dir, tokenizer), loadWeights: (dir) => io.loadWeights(dir),
    config: { trainer: 'dpo', ...cfg }, info,
  });
  return result as TrainResult<M>;
}
