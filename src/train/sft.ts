// trainSft: supervised fine-tuning with completion-only loss (prompt masked) and optional packing, on radpo's
// engine. Not the loop (trainer.ts) or the token log-prob kernel (logps.ts).

import { RadpoError } from '../util/errors.js';
import { resolveOptions } from '../util/options.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { assertRowsFit, collatePacked, collateSft, fitSft, packSft, type LmBatch, type TokenizedSft } from './collate.js';
import { SFT_OPTIONS, type SftConfig } from './config.js';
import type { TrainableModel } from './model_api.js';
import type { Model } from '../model/model.js';
import { loadModelFor, loadTrainRows, modelIo, padIdOf, type SftRow } from './model_io.js';
import { scoredTokens, sftObjective, type StepNorm } from './objective.js';
import { runTraining, type TrainResult, type TrainTask } from './trainer.js';
import { tokenizeSft } from './tokenize.js';

/** An SFT example: prompt + completion as text or messages (the data layer's rows), or already tokenized. */
export type SftExample = SftRow | TokenizedSft;

export interface TrainSftOptions<M extends TrainableModel = Model> {
  model?: M;
  tokenizer?: Tokenizer;
  train?: SftExample[];
  eval?: SftExample[];
  onLog?: (m: Record<string, number>) => void;
  quiet?: boolean;
}

export async function trainSft<M extends TrainableModel = Model>(config: Partial<SftConfig>, opts: TrainSftOptions<M> = {}): Promise<TrainResult<M>> {
  const cfg = resolveOptions(SFT_OPTIONS, config as Record<string, unknown>);
  const { model, tokenizer } = await loadModelFor(cfg, opts.model, opts.tokenizer);
  const padId = padIdOf(model, tokenizer);
  const len = { max_length: cfg.max_length, truncation_mode: cfg.truncation_mode };

  const prepare = (rows: SftExample[]): { kept: TokenizedSft[]; dropped: number } => {
    const kept: TokenizedSft[] = [];
    let dropped = 0;
    for (const r of rows) {
      let t: TokenizedSft;
      if ('input_ids' in r) t = r;
      else {
        if (!tokenizer) throw new RadpoError('config', 'text rows need a tokenizer (pass one, or a model folder with tokenizer.json)', { field: 'model_name_or_path' });
        t = tokenizeSft(tokenizer, r);
      }
      if (!cfg.completion_only_loss) t = { input_ids: t.input_ids, completion_mask: t.input_ids.map(() => 1) };
      const f = fitSft(t, len);
      if (f) kept.push(f); else dropped++;
    }
    return { kept, dropped };
  };
  const trainRaw = opts.train ?? (await loadTrainRows(cfg, 'sft', cfg.dataset_train_split)) as SftExample[];
  const evalRaw = opts.eval ?? (cfg.eval_strategy !== 'no' && cfg.dataset_name ? (await loadTrainRows(cfg, 'sft', cfg.dataset_test_split)) as SftRow[] : []);
  const tr = prepare(trainRaw), ev = prepare(evalRaw);
  assertRowsFit(tr.kept.length, tr.dropped, len);
  // Packing happens once, in data order, before shuffling (TRL packs the dataset, then the sampler shuffles rows).
  const group = (rows: TokenizedSft[]): TokenizedSft[][] => (cfg.packing ? packSft(rows, cfg.max_length) : rows.map((r) => [r]));

  const V = model.config.vocab_size;
  const task: TrainTask<TokenizedSft[], LmBatch> = {
    name: 'sft',
    collate: (rows) => (cfg.packing ? collatePacked(rows, padId) : collateSft(rows.map((g) => g[0] as TokenizedSft), padId)),
    norm: (batches): StepNorm => {
      const tokens = Math.max(1, batches.reduce((a, b) => a + scoredTokens(b), 0));
      return { pairs: 1, chosenTokens: tokens, tokens };
    },
    run: async (b, norm, trainMode) => {
      const logits = await model.forward(b.ids, b.B, b.T, { attentionMask: b.attentionMask, ...(b.positionIds ? { positionIds: b.positionIds } : {}), train: trainMode });
      const r = await sftObjective(logits, b, V, norm, trainMode);
      if (trainMode) await model.backward(r.dlogits);
      return r;
    },
  };
  const io = modelIo(model);
  const evalGroups = group(ev.kept);
  const result = await runTraining(cfg, model, task, group(tr.kept), evalGroups.length ? evalGroups : null, {
    ...(opts.onLog ? { onLog: opts.onLog } : {}), quiet: opts.quiet ?? false,
    saveModel: (dir) => io.save(dir, tokenizer), loadWeights: (dir) => io.loadWeights(dir),
    config: { trainer: 'sft', ...cfg }, info: { dropped_train_rows: tr.dropped, dropped_eval_rows: ev.dropped },
  });
  return result as TrainResult<M>;
}
