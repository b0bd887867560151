// Experiment 5: implicit-reward relabeling (IRA, method.md §2.4) and a second round on the synthetic tasks: DPO,
// relabel its training pairs with the round-1 implicit reward, reward-augment, DPO again. Not the file-based loop (pipeline/ira.ts).

import type { PreferencePair, Row } from '../data/types.js';
import { relabelPairs } from '../data/relabel.js';
import type { ScaleMethod } from '../data/relabel_scale.js';
import { meanCI, spearman, type MeanCI } from '../eval/stats.js';
import type { Section } from '../report/html.js';
import { implicitRewards } from '../verify/model_scoring.js';
import { evalAt, prepareRun, trainVariant, variantData, type Hooks, type RunConfig, type RunContext } from './pipeline.js';
import { summarise, type MethodEval } from './evaluate.js';
import { aggregate, ciText, curveChart, methodBars, methodTable, METHOD_LABELS, verdictBlock } from './sections.js';
import type { Model } from '../model/model.js';

export interface IraRelabelStats {
  /** Spearman with the exact reward, over both responses of every training pair. */
  spearman_implicit_exact: number;
  spearman_judge_exact: number;
  /** Share of pairs whose implicit reward agrees with the judge's order (strict preferences only). */
  agreement: number;
  /** Share of training responses relabeled with the top score (10). */
  top_share_relabeled: number;
  top_share_judge: number;
  fit: Record<string, number | number[]>;
}

export interface IraSeedResult {
  seed: number;
  methods: Record<string, MethodEval>;
  relabel: IraRelabelStats;
  logs: Record<string, Record<string, number>[]>;
  seconds: number;
}

/** Scores (two per pair) mapped onto 1-10 with `ira_scale`; pairs the scores order the other way are swapped. */
function mapScores(ctx: RunContext, pairs: PreferencePair[], values: number[]): ReturnType<typeof relabelPairs> {
  return relabelPairs(pairs, values, { scale_method: ctx.cfg.ira_scale as ScaleMethod, scale_min: 1, scale_max: 10, step: 1 });
}

/**
 * Control for the mapping: the judge's own scores put through the same `ira_scale` mapping, so a difference between
 * IRA and this isolates the ranking of the implicit reward from the shape of the mapped score distribution.
 */
export function judgeScoresMapped(ctx: RunContext): Row[] {
  const pairs = variantData(ctx, 'dpo');
  return mapScores(ctx, pairs, pairs.flatMap((p) => [p.score_chosen as number, p.score_rejected as number])).pairs as unknown as Row[];
}

/**
 * Round-1 implicit rewards beta (log pi_dpo - log pi_sft) of both responses of every training pair, mapped onto 1-10
 * with `ira_scale`, as scored rows that variantData augments exactly like the judge-scored ones.
 */
export async function relabelWithImplicitReward(ctx: RunContext, policy: Model): Promise<{ rows: Row[]; stats: IraRelabelStats }> {
  const pairs = variantData(ctx, 'dpo');
  const { chosen, rejected } = await implicitRewards(policy, ctx.sft, ctx.tok, pairs, { beta: ctx.cfg.beta, max_length: 96, batch_size: 64 });
  const rewards = chosen.flatMap((c, i) => [c, rejected[i]!]);
  const { pairs: out, summary } = mapScores(ctx, pairs, rewards);
  const rows = ctx.data.train_prefs;
  const exact = rows.flatMap((r) => [ctx.task.reward(r.prompt, r.chosen[1]!.content), ctx.task.reward(r.prompt, r.rejected[1]!.content)]);
  const judge = rows.flatMap((r) => [r.score_chosen, r.score_rejected]);
  const mapped = out.flatMap((p) => [p.score_chosen as number, p.score_rejected as number]);
  const share = (xs: number[]): number => xs.filter((x) => x >= 10).length / xs.length;
  return {
    rows: out as unknown as Row[],
    stats: { spearman_implicit_exact: spearman(rewards, exact), spearman_judge_exact: spearman(judge, exact), agreement: summary.agreement, top_share_relabeled: share(mapped), top_share_judge: share(judge), fit: summary.fit },
  };
}

/** One seed: SFT, DPO (round 1), RA-DPO on judge scores, relabel, RA-DPO on implicit-reward scores (round 2). */
export async function runIraSeed(cfg: RunConfig, hooks: Hooks = {}): Promise<IraSeedResult> {
  const t0 = Date.now();
  const ctx = await prepareRun(cfg, hooks);
  const top = ctx.task.maxReward;
  hooks.onStage?.('eval sft');
  const sft = await evalAt(ctx, ctx.sft, null, 0);
  const methods: Record<string, MethodEval> = { sft: summarise(sft, sft, top), sft_goal: summarise(await evalAt(ctx, ctx.sft, ctx.topGoal, 0), sft, top) };
  const logs: Record<string, Record<string, number>[]> = {};
  const evalModel = async (key: string, r: { model: Model; log: Record<string, number>[] }, goal: number | null): Promise<void> => {
    hooks.onStage?.(`eval ${key}`);
    methods[key] = summarise(await evalAt(ctx, r.model, goal, 0), sft, top);
    logs[key] = r.log;
  };
  const round1 = await trainVariant(ctx, 'dpo', hooks);
  await evalModel('dpo', round1, null);
  await evalModel('ra_dpo', await trainVariant(ctx, 'ra_dpo', hooks), ctx.topGoal);
  await evalModel('ra_dpo_mapped', await trainVariant(ctx, 'ra_dpo', hooks, undefined, { rows: judgeScoresMapped(ctx), stage: 'ra_dpo_mapped' }), ctx.topGoal);
  hooks.onStage?.('relabel with the round-1 implicit reward');
  const { rows, stats } = await relabelWithImplicitReward(ctx, round1.model);
  if (cfg.ira_init !== 'round1') await evalModel('ira_dpo', await trainVariant(ctx, 'ra_dpo', hooks, undefined, { rows, stage: 'ira_dpo' }), ctx.topGoal);
  if (cfg.ira_init !== 'sft') await evalModel('ira_dpo_r1', await trainVariant(ctx, 'ra_dpo', hooks, undefined, { rows, model: round1.model, stage: 'ira_dpo_r1' }), ctx.topGoal);
  return { seed: cfg.seed, methods, relabel: stats, logs, seconds: (Date.now() - t0) / 1000 };
}

/** Experiment 5 over seeds: exact reward at the top goal of IRA vs judge-score RA-DPO vs DPO, and the relabel quality. */
export async function ira(base: RunConfig, seeds: number[], hooks: Hooks): Promise<{ name: string; results: Record<string, unknown>; sections: Section[] }> {
  const per: IraSeedResult[] = [];
  for (const seed of seeds) per.push(await runIraSeed({ ...base, seed }, hooks));
  const agg = aggregate(per.map((p) => p.methods));
  const ci = (f: (p: IraSeedResult) => number): MeanCI => meanCI(per.map(f));
  const rhoImp = ci((p) => p.relabel.spearman_implicit_exact), rhoJudge = ci((p) => p.relabel.spearman_judge_exact);
  const agree = ci((p) => p.relabel.agreement), topRel = ci((p) => p.relabel.top_share_relabeled);
  const irasKey = base.ira_init === 'round1' ? 'ira_dpo_r1' : 'ira_dpo';
  const diff = (a: string, b: string): MeanCI => ci((p) => p.methods[a]!.reward - p.methods[b]!.reward);
  const vsDpo = diff(irasKey, 'dpo'), vsRa = diff(irasKey, 'ra_dpo');
  const round2 = ['ira_dpo', 'ira_dpo_r1'].filter((k) => per[0]!.methods[k]);
  const differences = Object.fromEntries(round2.map((k) => [k, { minus_dpo: diff(k, 'dpo'), minus_ra_dpo: diff(k, 'ra_dpo'), minus_ra_dpo_mapped: diff(k, 'ra_dpo_mapped') }]));
  const n = seeds.length;
  const sections: Section[] = [{
    id: 'ira', title: 'Experiment 5: implicit-reward relabeling (IRA) and a second round',
    blocks: [
      { kind: 'text', text: `Round 1 is DPO from the SFT model. Its implicit reward beta (log pi_dpo(y|x) - log pi_sft(y|x)) scores both responses of every training pair; the scores are mapped onto 1-10 by "${base.ira_scale}", pairs the implicit reward orders the other way are swapped, and the result is reward-augmented like the judge-scored data. Round 2 is RA-DPO on it, from ${base.ira_init === 'sft' ? 'the SFT model' : base.ira_init === 'round1' ? 'the round-1 model (its reference)' : 'the SFT model and, separately, from the round-1 model (its reference)'}. Control: RA-DPO on the judge's scores put through the same mapping (same score distribution as the relabeled data, judge's ranking). Goal-conditioned models are sampled at goal 10.` },
      verdictBlock(vsDpo.lo > 0, `IRA round 2 beats DPO on exact reward: difference ${ciText(vsDpo)} (95% CI over ${n} seeds); vs RA-DPO on judge scores ${ciText(vsRa)}.`,
        `IRA round 2 minus DPO on exact reward: ${ciText(vsDpo)} (95% CI over ${n} seeds; the CI includes 0 or is negative, so the paper's IRA gain is not reproduced at this size); vs RA-DPO on judge scores ${ciText(vsRa)}.`),
      methodTable(agg, `mean ± 95% CI half-width over ${n} seeds`),
      methodBars(agg, 'reward', 'Exact reward (goal-conditioned models at goal 10)'),
      { kind: 'table', caption: `Differences in exact reward (mean ± 95% CI half-width over ${n} seeds)`, headers: ['round 2', 'minus DPO', 'minus RA-DPO on judge scores', `minus RA-DPO on judge scores mapped by ${base.ira_scale}`],
        rows: round2.map((k) => [METHOD_LABELS[k] ?? k, ciText(differences[k]!.minus_dpo), ciText(differences[k]!.minus_ra_dpo), ciText(differences[k]!.minus_ra_dpo_mapped)]) },
      { kind: 'table', caption: 'Quality of the relabeling, over both responses of every training pair (mean ± 95% CI half-width over seeds)', headers: ['quantity', 'value'], rows: [
        ['Spearman(round-1 implicit reward, exact reward)', ciText(rhoImp)],
        ['Spearman(judge score, exact reward)', ciText(rhoJudge)],
        ['pairs whose implicit reward agrees with the judge\'s order', ciText(agree)],
        ['share of responses relabeled 10', ciText(topRel)],
      ] },
      curveChart(per[0]!.logs, 'loss', `Training loss (seed ${seeds[0]})`, 'loss'),
    ],
  }];
  const results = {
    seeds, ira_scale: base.ira_scale, ira_init: base.ira_init,
    per_seed: per.map((p) => ({ seed: p.seed, methods: p.methods, relabel: p.relabel, seconds: p.seconds })),
    aggregate: agg, ira_minus_dpo: vsDpo, ira_minus_ra_dpo: vsRa, differences,
    spearman_implicit_exact: rhoImp, spearman_judge_exact: rhoJudge, agreement: agree, top_share_relabeled: topRel,
  };
  return { name: 'ira', results, sections };
}
