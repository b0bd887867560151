// Runs a named experiment over seeds and writes DIR/results.json (results, config, report sections) and
// DIR/report.html. Also merges several results files into one report. Not the experiments themselves.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import { resolveOptions } from '../util/options.js';
import { writeReport, type Section } from '../report/html.js';
import { RUN_OPTIONS, type Hooks, type RunConfig } from './pipeline.js';
import { EXPERIMENTS } from './experiments.js';
import { configSection } from './sections.js';
import { runToyExperiment, type ToySolveOptions } from './toy.js';
import { toySection } from './toy_report.js';

export const EXPERIMENT_NAMES = ['toy', ...Object.keys(EXPERIMENTS)] as const;

/** Smaller settings for smoke runs and tests (same code path). */
export const QUICK_RUN: Partial<RunConfig> = { num_prompts: 300, num_sft_prompts: 600, sft_epochs: 2, eval_prompts: 30, model_size: 'tiny' };

export interface ExperimentRunOptions {
  name: string;
  seeds: number[];
  output: string;
  quick?: boolean;
  overrides?: Partial<RunConfig>;
  toy?: ToySolveOptions;
  hooks?: Hooks;
}

export interface ExperimentFile {
  name: string;
  seeds: number[];
  config: RunConfig | ToySolveOptions;
  seconds: number;
  results: Record<string, unknown>;
  sections: Section[];
}

export async function runExperiment(o: ExperimentRunOptions): Promise<ExperimentFile> {
  const t0 = Date.now();
  let file: ExperimentFile;
  if (o.name === 'toy') {
    const res = runToyExperiment(o.toy);
    file = { name: 'toy', seeds: [], config: o.toy ?? {}, seconds: 0, results: { toy: res }, sections: [toySection(res)] };
  } else {
    const exp = EXPERIMENTS[o.name];
    if (!exp) throw new RadpoError('usage', `unknown experiment (known: ${EXPERIMENT_NAMES.join(', ')})`, { value: o.name });
    const cfg = resolveOptions(RUN_OPTIONS, { ...(o.quick ? QUICK_RUN : {}), ...(o.overrides ?? {}) });
    const out = await exp.fn(cfg, o.seeds, o.hooks ?? {});
    file = { name: o.name, seeds: o.seeds, config: cfg, seconds: 0, results: out.results, sections: out.sections };
  }
  file.seconds = Number(((Date.now() - t0) / 1000).toFixed(1));
  if (o.name !== 'toy') file.sections.push(configSection({ experiment: o.name, seeds: o.seeds.join(','), ...(file.config as Record<string, unknown>) }, file.seconds));
  writeJsonAtomic(path.join(o.output, 'results.json'), file);
  writeExperimentReport(path.join(o.output, 'report.html'), [file]);
  return file;
}

export function writeExperimentReport(target: string, files: ExperimentFile[]): void {
  writeReport(target, {
    title: files.length === 1 ? `radpo experiment: ${files[0]!.name}` : 'radpo experiments',
    subtitle: 'Claims of "Reward-Augmented Data Enhances Direct Preference Alignment of LLMs" tested on synthetic tasks with exact rewards',
    meta: files.map((f) => `${f.name}: seeds ${f.seeds.join(',') || '-'}, ${f.seconds} s`).join('   '),
    sections: files.flatMap((f) => f.sections),
  });
}

export function readExperimentFile(file: string): ExperimentFile {
  const p = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, 'results.json') : file;
  let j: unknown;
  try { j = JSON.parse(fs.readFileSync(p, 'utf8')); } catch (e) { throw new RadpoError('io', `cannot read experiment results: ${(e as Error).message}`, { file: p }); }
  const f = j as ExperimentFile;
  if (!f || typeof f.name !== 'string' || !Array.isArray(f.sections)) throw new RadpoError('input', 'not a radpo experiment results.json (needs "name" and "sections")', { file: p });
  return f;
}
