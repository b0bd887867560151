// `radpo demo`: the method end to end on a synthetic task with exact rewards: data, augmentation, SFT, DPO and
// reward-augmented DPO from the same SFT model, evaluation, report and summary. Not the multi-seed experiments.

import * as path from 'node:path';
import { augmentPairs } from '../data/augment.js';
import type { Row } from '../data/types.js';
import { writeJsonl } from '../data/write.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { resolveOptions } from '../util/options.js';
import { meanCI, winRate } from '../eval/stats.js';
import { writeReport, type ReportDoc } from '../report/html.js';
import { writeTaskDataset } from '../tasks/io.js';
import { judgeAgreement, scoreStats } from '../tasks/generate.js';
import { evalAt, prepareRun, RUN_OPTIONS, trainVariant, type Hooks, type RunConfig } from './pipeline.js';
import { summarise, type MethodEval, type Samples } from './evaluate.js';
import { configSection, curveChart, METHOD_LABELS } from './sections.js';
import { TASK_GOAL_TEMPLATE } from './setup.js';
import { runToyExperiment } from './toy.js';
import { toySection } from './toy_report.js';

/**
 * Settings of the demo (the full run) and of --quick (for tests and CI smoke runs). The full demo is the headline in the paper's setting rather than the experiments' bare defaults:
 * - a capable start: the SFT model trains 20 epochs (at the experiments' 8 its loss is still falling fast, about
 *   0.79 at epoch 8 and 0.32 at epoch 20, and many samples get letters wrong); the paper starts from instruct models;
 * - AI-feedback scores: the judge adds Gaussian noise (std 2) to the exact reward before rounding, so it orders about
 *   80% of response pairs as the exact reward does (GPT-4 agrees with human judges on 66% of MT-Bench pairs with
 *   ties, 85% without: Zheng et al., 2023);
 * - the paper's Qwen2 recipe: conservative DPO, label smoothing 0.3 (method.md §2.3), for DPO and RA-DPO alike.
 * Evaluation always uses the exact reward. Every configuration tried, including those where DPO wins, is in
 * docs/experiments.md; each setting is a flag (`radpo demo --sft_epochs 8 --judge_noise 0 --label_smoothing 0`).
 */
export const DEMO_PRESETS: Record<'full' | 'quick', Partial<RunConfig>> = {
  full: { sft_epochs: 20, judge_noise: 2, label_smoothing: 0.3 },
  quick: { num_prompts: 300, num_sft_prompts: 600, sft_epochs: 2, eval_prompts: 30, model_size: 'tiny' },
};

export interface DemoOptions {
  seed?: number;
  output: string;
  quick?: boolean;
  task?: 'sort' | 'reverse';
  /** Overrides of run settings (keys of RUN_OPTIONS). */
  overrides?: Partial<RunConfig>;
  hooks?: Hooks;
}

export interface DemoSummary {
  seed: number;
  task: string;
  run_time_s: number;
  top_goal: number;
  sft: MethodEval;
  /** The SFT model sampled at the top goal (before any preference training). */
  sft_goal: MethodEval;
  dpo: MethodEval;
  ra_dpo: MethodEval;
  ra_dpo_minus_dpo: number;
  /** The judge that scored the training data: noise std and its agreement with the exact reward (share of pairs). */
  judge: { noise: number; agreement: number };
  config: RunConfig;
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const t0 = Date.now();
  const cfg = resolveOptions(RUN_OPTIONS, { ...(o.quick ? DEMO_PRESETS.quick : DEMO_PRESETS.full), ...(o.overrides ?? {}), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.task ? { task: o.task } : {}) });
  const hooks = o.hooks ?? {};
  const ctx = await prepareRun(cfg, hooks);
  const dataDir = path.join(o.output, 'data');
  await writeTaskDataset(dataDir, ctx.data);
  await writeJsonl(path.join(dataDir, 'train_prefs_augmented.jsonl'), augmentPairs(ctx.data.train_prefs as unknown as Row[], { placement: cfg.goal_placement, goal_template: TASK_GOAL_TEMPLATE }));
  hooks.onStage?.('eval sft');
  const top = ctx.task.maxReward;
  const samples: Record<string, Samples> = { sft: await evalAt(ctx, ctx.sft, null, 0), sft_goal: await evalAt(ctx, ctx.sft, ctx.topGoal, 0) };
  const logs: Record<string, Record<string, number>[]> = { sft: ctx.sftLog };
  for (const v of ['dpo', 'ra_dpo'] as const) {
    const r = await trainVariant(ctx, v, hooks);
    logs[v] = r.log;
    hooks.onStage?.(`eval ${v}`);
    samples[v] = await evalAt(ctx, r.model, v === 'ra_dpo' ? ctx.topGoal : null, 0);
  }
  const ev = (m: string): MethodEval => summarise(samples[m]!, samples.sft!, top);
  const seconds = (Date.now() - t0) / 1000;
  const summary: DemoSummary = {
    seed: cfg.seed, task: cfg.task, run_time_s: Number(seconds.toFixed(1)), top_goal: ctx.topGoal,
    sft: ev('sft'), sft_goal: ev('sft_goal'), dpo: ev('dpo'), ra_dpo: ev('ra_dpo'), ra_dpo_minus_dpo: ev('ra_dpo').reward - ev('dpo').reward,
    judge: { noise: cfg.judge_noise, agreement: Number(judgeAgreement(ctx.data.multi.train).toFixed(4)) }, config: cfg,
  };
  writeJsonAtomic(path.join(o.output, 'summary.json'), summary);
  writeJsonAtomic(path.join(o.output, 'samples.json'), Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, { goal: s.goal, prompts: ctx.evalPrompts, responses: s.responses, rewards: s.rewards }])));
  writeReport(path.join(o.output, 'report.html'), demoReport(summary, samples, logs, scoreStats(ctx.data.multi.train, top), ctx.task.description, seconds));
  return summary;
}

function demoReport(s: DemoSummary, samples: Record<string, Samples>, logs: Record<string, Record<string, number>[]>, stats: ReturnType<typeof scoreStats>, taskText: string, seconds: number): ReportDoc {
  const methods = ['sft', 'sft_goal', 'dpo', 'ra_dpo'] as const;
  const ci = (m: string) => meanCI(samples[m]!.rewards);
  const better = s.ra_dpo.reward > s.dpo.reward;
  const hist = Object.entries(stats.histogram).sort((a, b) => Number(a[0]) - Number(b[0]));
  return {
    title: 'radpo demo: reward-augmented DPO on a task with exact rewards',
    subtitle: `task "${s.task}", seed ${s.seed}: same SFT start, same data; DPO vs DPO on reward-augmented data sampled at goal ${s.top_goal}`,
    meta: `radpo demo --seed ${s.seed}   ${new Date().toISOString()}   ${seconds.toFixed(0)} s`,
    sections: [
      {
        id: 'result', title: 'Result',
        blocks: [
          { kind: 'verdict', ok: better, text: better
            ? `RA-DPO (at goal ${s.top_goal}) reaches a higher exact reward than DPO: ${s.ra_dpo.reward.toFixed(3)} vs ${s.dpo.reward.toFixed(3)} (SFT ${s.sft.reward.toFixed(3)}).`
            : `On this seed RA-DPO did not beat DPO: ${s.ra_dpo.reward.toFixed(3)} vs ${s.dpo.reward.toFixed(3)} (SFT ${s.sft.reward.toFixed(3)}). Reported as measured.` },
          { kind: 'table', headers: ['method', 'exact reward (95% CI over samples)', 'top-score share', 'win rate vs SFT', 'samples'], rows: methods.map((m) => {
            const c = ci(m);
            return [METHOD_LABELS[m]!, `${c.mean.toFixed(3)} [${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}]`, s[m].top_share.toFixed(3), s[m].win_rate_vs_sft.toFixed(3), s[m].n];
          }), caption: 'CIs here are over sampled responses of one seed; `radpo experiment headline` gives CIs over seeds.' },
          { kind: 'bar', chart: { title: 'Exact reward of sampled responses', xLabel: 'method', yLabel: 'exact reward (1-10)', groups: methods.map((m) => { const c = ci(m); return { label: METHOD_LABELS[m]!, bars: [{ series: 'mean and 95% CI', mean: c.mean, lo: c.lo, hi: c.hi }] }; }) } },
          { kind: 'bar', chart: { title: 'Top-score share and win rate vs SFT', xLabel: 'method', yLabel: 'share', yMin: 0, yMax: 1, groups: methods.map((m) => ({ label: METHOD_LABELS[m]!, bars: [{ series: 'top-score share', mean: s[m].top_share }, { series: 'win rate vs SFT', mean: s[m].win_rate_vs_sft }] })) } },
        ],
      },
      {
        id: 'training', title: 'Training curves',
        blocks: [
          curveChart({ sft: logs.sft! }, 'loss', 'SFT loss', 'token NLL'),
          curveChart({ dpo: logs.dpo!, ra_dpo: logs.ra_dpo! }, 'loss', 'Preference loss', 'DPO loss'),
          curveChart({ dpo: logs.dpo!, ra_dpo: logs.ra_dpo! }, 'rewards/margins', 'Implicit reward margin', 'rewards/margins'),
          curveChart({ dpo: logs.dpo!, ra_dpo: logs.ra_dpo! }, 'logps/rejected', 'Log-prob of rejected responses', 'logps/rejected'),
        ],
      },
      {
        id: 'data', title: 'Data',
        blocks: [
          { kind: 'text', text: taskText },
          { kind: 'text', text: `${stats.responses} scored responses; mean exact reward ${stats.meanExact.toFixed(2)}; top-score share ${(100 * stats.topShare).toFixed(1)}% of responses, ${(100 * stats.chosenTopShare).toFixed(1)}% of best-of-4.` },
          { kind: 'text', text: s.judge.noise > 0
            ? `Judge: exact reward + Gaussian noise (std ${s.judge.noise}), rounded, as AI feedback is noisy; it orders ${(100 * s.judge.agreement).toFixed(1)}% of response pairs with different exact rewards as the exact reward does. Evaluation uses the exact reward.`
            : 'Judge: the exact reward, rounded (no noise).' },
          { kind: 'bar', chart: { title: 'Judge scores of generated responses', xLabel: 'score', yLabel: 'responses', groups: hist.map(([k, v]) => ({ label: k, bars: [{ series: 'responses', mean: v }] })) } },
        ],
      },
      toySection(runToyExperiment()),
      configSection(s.config as unknown as Record<string, unknown>, seconds),
    ],
  };
}

export function formatSummaryTable(s: DemoSummary): string {
  const rows = [['method', `reward @ goal ${s.top_goal}`, 'top share', 'win vs SFT']];
  for (const m of ['sft', 'sft_goal', 'dpo', 'ra_dpo'] as const) rows.push([m, s[m].reward.toFixed(3), s[m].top_share.toFixed(3), s[m].win_rate_vs_sft.toFixed(3)]);
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const table = rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  ')).join('\n');
  return `${table}\n(training data judged by ${s.judge.noise > 0 ? `a noisy judge: exact reward + N(0, ${s.judge.noise}^2)` : 'the exact reward'}, agreeing with it on ${(100 * s.judge.agreement).toFixed(1)}% of pairs; rewards above are exact)`;
}

export { winRate };
