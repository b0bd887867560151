// Report of training runs (`radpo train` / `radpo lora` output folders): TRL's logged metrics as curves over steps,
// several runs overlaid (e.g. DPO vs RA-DPO), final values and the settings that differ. Not an experiment report.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '../util/errors.js';
import type { Block, ReportDoc } from './html.js';
import { PALETTE, type LineSeries } from './svg.js';

export interface TrainingRun {
  name: string;
  dir: string;
  args: Record<string, unknown>;
  metrics: Record<string, number>[];
}

/** Whether `dir` is a training output folder (it has metrics.jsonl). */
export function isTrainingRun(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'metrics.jsonl'));
}

/** Reads metrics.jsonl (one JSON object per logging step) and training_args.json when present. */
export function readTrainingRun(dir: string): TrainingRun {
  const file = path.join(dir, 'metrics.jsonl');
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new RadpoError('io', `cannot read training metrics: ${(e as Error).message}`, { file }); }
  const metrics: Record<string, number>[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    let j: unknown;
    try { j = JSON.parse(l); } catch (e) { throw new RadpoError('input', `not valid JSON: ${(e as Error).message}`, { file, line: i + 1, value: l }); }
    if (!j || typeof j !== 'object' || Array.isArray(j) || typeof (j as { step?: unknown }).step !== 'number') {
      throw new RadpoError('input', 'expected a metrics object with a numeric "step"', { file, line: i + 1, value: l });
    }
    metrics.push(j as Record<string, number>);
  });
  if (metrics.length === 0) throw new RadpoError('input', 'no logged steps', { file });
  let args: Record<string, unknown> = {};
  const af = path.join(dir, 'training_args.json');
  if (fs.existsSync(af)) {
    try { args = JSON.parse(fs.readFileSync(af, 'utf8')) as Record<string, unknown>; } catch (e) { throw new RadpoError('input', `not valid JSON: ${(e as Error).message}`, { file: af }); }
  }
  return { name: path.basename(path.resolve(dir)), dir, args, metrics };
}

/** Charts in TRL's metric names: [title, y label, [metric, dashed]...]. Only charts with data are drawn. */
const CHARTS: [string, string, [string, boolean][]][] = [
  ['Loss (eval dashed)', 'loss', [['loss', false], ['eval_loss', true]]],
  ['Reward margin (chosen - rejected)', 'beta x log-ratio', [['rewards/margins', false], ['eval_rewards/margins', true]]],
  ['Reward accuracy', 'share of pairs', [['rewards/accuracies', false], ['eval_rewards/accuracies', true]]],
  ['Rewards: chosen (solid), rejected (dashed)', 'beta x log-ratio', [['rewards/chosen', false], ['rewards/rejected', true]]],
  ['Log-probs: chosen (solid), rejected (dashed)', 'sum over completion tokens', [['logps/chosen', false], ['logps/rejected', true]]],
  ['Gradient norm (before clipping)', 'L2 norm', [['grad_norm', false]]],
  ['Learning rate', 'learning rate', [['learning_rate', false]]],
];

const SETTINGS = ['trainer', 'loss_type', 'beta', 'label_smoothing', 'rpo_alpha', 'learning_rate', 'lr_scheduler_type', 'per_device_train_batch_size',
  'gradient_accumulation_steps', 'num_train_epochs', 'max_steps', 'max_length', 'packing', 'dataset_name', 'model_name_or_path', 'seed'];

const FINAL = ['loss', 'eval_loss', 'rewards/margins', 'rewards/accuracies', 'rewards/chosen', 'rewards/rejected'];

function show(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? String(v);
}

/** The report document: one chart per metric family, runs overlaid in a fixed colour each. */
export function trainingReport(runs: TrainingRun[]): ReportDoc {
  if (runs.length === 0) throw new RadpoError('usage', 'no training runs to report');
  const color = (i: number): string => PALETTE[i % PALETTE.length]!;
  const charts: Block[] = [];
  for (const [title, yLabel, keys] of CHARTS) {
    const series: LineSeries[] = [];
    runs.forEach((r, i) => {
      keys.forEach(([key, dashed], k) => {
        const points = r.metrics.filter((m) => typeof m[key] === 'number' && Number.isFinite(m[key])).map((m) => [m.step!, m[key]!] as [number, number]);
        if (points.length === 0) return;
        // one legend entry per run (the title says what the dashed line is); one run: the metric's own name
        const name = runs.length > 1 ? r.name : key;
        series.push({ name, points, dashed, color: runs.length > 1 ? color(i) : color(k), noLegend: runs.length > 1 && k > 0 });
      });
    });
    if (series.length === 0) continue;
    const few = Math.max(...series.map((s) => s.points.length)) <= 12;
    charts.push({ kind: 'line', chart: { title, xLabel: 'step', yLabel, series, markers: few } });
  }
  const present = FINAL.filter((k) => runs.some((r) => r.metrics.some((m) => typeof m[k] === 'number')));
  const last = (r: TrainingRun, k: string): number | string => {
    for (let i = r.metrics.length - 1; i >= 0; i--) if (typeof r.metrics[i]![k] === 'number') return r.metrics[i]![k]!;
    return '-';
  };
  const finals: Block = { kind: 'table', headers: ['run', 'steps', ...present], rows: runs.map((r) => [r.name, r.metrics[r.metrics.length - 1]!.step!, ...present.map((k) => last(r, k))]),
    caption: 'Last logged value of each metric.' };
  const keys = SETTINGS.filter((k) => runs.some((r) => r.args[k] !== undefined));
  const differ = runs.length > 1 ? keys.filter((k) => new Set(runs.map((r) => show(r.args[k]))).size > 1) : keys;
  const settings: Block = { kind: 'table', headers: ['setting', ...runs.map((r) => r.name)], rows: (differ.length ? differ : keys).map((k) => [k, ...runs.map((r) => show(r.args[k]))]),
    caption: runs.length > 1 ? (differ.length ? 'Settings that differ between the runs (training_args.json).' : 'The runs share these settings (training_args.json).') : 'Settings (training_args.json).' };
  return {
    title: runs.length > 1 ? `Training runs: ${runs.map((r) => r.name).join(' vs ')}` : `Training run: ${runs[0]!.name}`,
    subtitle: 'Metrics as TRL names them, logged every logging_steps.',
    meta: runs.map((r) => r.dir).join('  ·  '),
    sections: [
      { id: 'curves', title: 'Curves', blocks: charts.length ? charts : [{ kind: 'text', text: 'No metric with a numeric value was logged.' }] },
      { id: 'final', title: 'Final values', blocks: [finals] },
      { id: 'settings', title: 'Settings', blocks: [settings] },
    ],
  };
}
