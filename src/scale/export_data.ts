// Reads the rows a radpo recipe trains on (with the trainers' own reader, so the export sees exactly what
// `radpo train` sees) and writes them as the Hugging Face dataset folder of an export. Not a format converter.

import * as fs from 'node:fs';
import { RadpoError } from '../util/errors.js';
import { loadTrainRows } from '../train/model_io.js';
import { detectContainer, listSplits } from '../data/read.js';
import { writeDatasetFolder } from '../data/write.js';
import type { TrainerKind } from './trl_map.js';

/** One exported row: TRL's explicit-prompt preference ({prompt, chosen, rejected}) or prompt-completion format. */
export type ExportRow = Record<string, unknown>;

export interface ExportSplits { train: ExportRow[]; test?: ExportRow[] }

/** Reads dataset_name's train split (and its test split when there is one) as TRL rows. */
export async function readExportRows(trainer: TrainerKind, config: Record<string, unknown>): Promise<ExportSplits> {
  const name = config['dataset_name'];
  if (typeof name !== 'string' || name === '') throw new RadpoError('config', 'export needs dataset_name (a local data file or folder)', { field: 'dataset_name', value: name });
  const cfg = { dataset_name: name, dataset_train_split: String(config['dataset_train_split'] ?? 'train') };
  const testSplit = String(config['dataset_test_split'] ?? 'test');
  const train = (await loadTrainRows(cfg, trainer, cfg.dataset_train_split)).map((r) => toTrlRow(trainer, r as unknown as Record<string, unknown>));
  // A folder has named splits; for a single file the test split is a file path (as in `radpo train`).
  const hasTest = detectContainer(name) === 'folder' ? folderHasSplit(name, testSplit) : isFile(testSplit);
  if (!hasTest) return { train };
  const test = (await loadTrainRows(cfg, trainer, testSplit)).map((r) => toTrlRow(trainer, r as unknown as Record<string, unknown>));
  return test.length > 0 ? { train, test } : { train };
}

function isFile(p: string): boolean { try { return fs.statSync(p).isFile(); } catch { return false; } }

function folderHasSplit(dir: string, split: string): boolean {
  try { return listSplits(dir).has(split); } catch { return false; }
}

/**
 * Keeps the columns TRL reads; radpo-only columns (scores, goals, weights) stay out of the TRL dataset. Pre-tokenized
 * rows keep TRL's tokenized columns (prompt_ids / chosen_ids / rejected_ids; input_ids / completion_mask).
 */
function toTrlRow(trainer: TrainerKind, r: Record<string, unknown>): ExportRow {
  if (trainer === 'dpo') {
    return r['prompt_ids'] !== undefined
      ? { prompt_ids: r['prompt_ids'], chosen_ids: r['chosen_ids'], rejected_ids: r['rejected_ids'] }
      : { prompt: r['prompt'], chosen: r['chosen'], rejected: r['rejected'] };
  }
  return r['input_ids'] !== undefined
    ? { input_ids: r['input_ids'], completion_mask: r['completion_mask'] }
    : { prompt: r['prompt'], completion: r['completion'] };
}

/** Writes `splits` as a Hugging Face dataset folder (data/<split>-00000-of-00001.parquet + README card). */
export async function writeExportDataset(dir: string, splits: ExportSplits, info: { source: string; trainer: TrainerKind }): Promise<void> {
  const s: Record<string, ExportRow[]> = { train: splits.train };
  if (splits.test) s['test'] = splits.test;
  await writeDatasetFolder(dir, s, {
    title: 'radpo export',
    source: info.source,
    made: `${info.trainer === 'dpo' ? 'preference pairs in TRL explicit-prompt format (prompt, chosen, rejected)' : 'SFT rows in TRL prompt-completion format'}, read with radpo's trainer reader and exported by radpo export trl`,
  });
}
