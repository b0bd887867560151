// Report sections shared by the demo and the experiments: method comparison with 95% CIs over seeds, training
// curves, run configuration and environment. Not the HTML renderer (report/html.ts).

import * as os from 'node:os';
import { meanCI, type MeanCI } from '../eval/stats.js';
import type { Block, Section } from '../report/html.js';
import type { BarGroup, LineSeries } from '../report/svg.js';
import { VERSION } from '../version.js';
import type { MethodEval } from './evaluate.js';

export const METHOD_LABELS: Record<string, string> = {
  sft: 'SFT', sft_goal: 'SFT at the top goal', dpo: 'DPO', ra_dpo: 'RA-DPO', dpo_dup: 'DPO, duplicated (2N)', ra_dpo_half: 'RA-DPO, half data', ra_dpo_no_top: 'RA-DPO, top goal held out',
  ra_dpo_mapped: 'RA-DPO on judge scores, mapped like IRA', ira_dpo: 'RA-DPO on implicit-reward scores (from SFT)', ira_dpo_r1: 'RA-DPO on implicit-reward scores (from round 1)',
};

export type MetricKey = 'reward' | 'top_share' | 'win_rate_vs_sft';
export const METRIC_LABELS: Record<MetricKey, string> = { reward: 'exact reward (1-10)', top_share: 'top-score share', win_rate_vs_sft: 'win rate vs SFT' };

/** Per method and metric: mean and 95% CI over seeds. */
export function aggregate(perSeed: Record<string, MethodEval>[]): Record<string, Record<MetricKey, MeanCI>> {
  const methods = Object.keys(perSeed[0] ?? {});
  const out: Record<string, Record<MetricKey, MeanCI>> = {};
  for (const m of methods) {
    const get = (k: MetricKey): MeanCI => meanCI(perSeed.map((s) => s[m]?.[k]).filter((x): x is number => typeof x === 'number'));
    out[m] = { reward: get('reward'), top_share: get('top_share'), win_rate_vs_sft: get('win_rate_vs_sft') };
  }
  return out;
}

/** "mean ± half-width" (the mean alone when the CI is undefined, e.g. one seed). */
export function ciText(c: MeanCI, digits = 3): string {
  return Number.isFinite(c.halfWidth) ? `${c.mean.toFixed(digits)} ± ${c.halfWidth.toFixed(digits)}` : c.mean.toFixed(digits);
}

/** A verdict line: the claim's text when it holds, the honest alternative when it does not. */
export function verdictBlock(ok: boolean, yes: string, no: string): Block {
  return { kind: 'verdict', ok, text: ok ? yes : no };
}

export function methodTable(agg: Record<string, Record<MetricKey, MeanCI>>, caption: string): Block {
  return {
    kind: 'table', caption,
    headers: ['method', 'exact reward', 'top-score share', 'win rate vs SFT', 'seeds'],
    rows: Object.entries(agg).map(([m, a]) => [METHOD_LABELS[m] ?? m, ciText(a.reward), ciText(a.top_share), ciText(a.win_rate_vs_sft), a.reward.n]),
  };
}

export function methodBars(agg: Record<string, Record<MetricKey, MeanCI>>, metric: MetricKey, title: string): Block {
  const groups: BarGroup[] = Object.entries(agg).map(([m, a]) => ({
    label: METHOD_LABELS[m] ?? m,
    bars: [{ series: `${METRIC_LABELS[metric]}, mean and 95% CI`, mean: a[metric].mean, lo: Number.isFinite(a[metric].lo) ? a[metric].lo : undefined, hi: Number.isFinite(a[metric].hi) ? a[metric].hi : undefined }],
  }));
  return { kind: 'bar', chart: { title, xLabel: 'method', yLabel: METRIC_LABELS[metric], groups, yMin: metric === 'reward' ? undefined : 0 } };
}

/** Training curves (one series per method) of a logged key, e.g. 'loss' or 'rewards/margins', from one seed. */
export function curveChart(logs: Record<string, Record<string, number>[]>, key: string, title: string, yLabel: string, methods?: string[]): Block {
  const series: LineSeries[] = [];
  for (const [m, log] of Object.entries(logs)) {
    if (methods && !methods.includes(m)) continue;
    const pts = log.filter((e) => typeof e[key] === 'number' && typeof e.step === 'number').map((e) => [e.step!, e[key]!] as [number, number]);
    if (pts.length > 0) series.push({ name: METHOD_LABELS[m] ?? m, points: pts });
  }
  return { kind: 'line', chart: { title, xLabel: 'optimizer step', yLabel, series } };
}

export function environmentBlock(config: Record<string, unknown>, seconds: number): Block {
  const entries: [string, unknown][] = Object.entries(config);
  entries.push(['radpo', VERSION], ['node', process.version], ['platform', `${os.platform()} ${os.arch()}`],
    ['cpus', `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`], ['run time (s)', Number(seconds.toFixed(1))]);
  return { kind: 'kv', entries, caption: 'Run configuration and environment' };
}

export function configSection(config: Record<string, unknown>, seconds: number): Section {
  return { id: 'config', title: 'Configuration and environment', blocks: [environmentBlock(config, seconds)] };
}
