// The paper's experiments on synthetic tasks (method.md section 4), each a named, seeded function returning JSON
// results plus report sections: headline, unlearning, controllability, goal scale, verifier. Not the toy (toy.ts).

import { augmentPairs } from '../data/augment.js';
import { detectSchema, toPreferencePair } from '../data/schema.js';
import type { PreferencePair, Row } from '../data/types.js';
import { scoreCompletions } from '../model/logprobs.js';
import type { ChatMessage } from '../model/chat_template.js';
import { meanCI, spearman, type MeanCI } from '../eval/stats.js';
import type { Block, Section } from '../report/html.js';
import type { LineSeries } from '../report/svg.js';
import { evalAt, GOAL_CONDITIONED, prepareRun, runHeadlineSeed, scaleOf, trainVariant, type Hooks, type RunConfig, type RunContext, type Variant } from './pipeline.js';
import { summarise, type MethodEval } from './evaluate.js';
import { aggregate, curveChart, methodBars, methodTable, METHOD_LABELS } from './sections.js';
import { conditionedPrompt, TASK_GOAL_TEMPLATE } from './setup.js';
import { ira } from './ira.js';
import { RadpoError } from '../util/errors.js';

export interface ExperimentOutput { name: string; results: Record<string, unknown>; sections: Section[] }
export type ExperimentFn = (base: RunConfig, seeds: number[], hooks: Hooks) => Promise<ExperimentOutput>;

const ci = (xs: number[]): MeanCI => meanCI(xs);
const ciStr = (c: MeanCI, d = 3): string => (Number.isFinite(c.halfWidth) ? `${c.mean.toFixed(d)} ± ${c.halfWidth.toFixed(d)}` : c.mean.toFixed(d));

function verdict(ok: boolean, yes: string, no: string): Block {
  return { kind: 'verdict', ok, text: ok ? yes : no };
}

/** Experiment 2: DPO vs RA-DPO at the top goal, plus the duplicated-data and half-data controls. */
export const headline: ExperimentFn = async (base, seeds, hooks) => {
  const variants: Variant[] = ['dpo', 'ra_dpo', 'dpo_dup', 'ra_dpo_half'];
  const per = [];
  for (const seed of seeds) per.push(await runHeadlineSeed({ ...base, seed }, variants, hooks));
  const agg = aggregate(per.map((p) => p.methods));
  const diff = ci(per.map((p) => p.methods.ra_dpo!.reward - p.methods.dpo!.reward));
  const wins = per.filter((p) => p.methods.ra_dpo!.reward > p.methods.dpo!.reward).length;
  const sections: Section[] = [{
    id: 'headline', title: 'Experiment 2: headline comparison (same SFT start, same data)',
    blocks: [
      verdict(diff.lo > 0, `RA-DPO at the top goal beats DPO on exact reward: difference ${ciStr(diff)} (95% CI over ${seeds.length} seeds; RA-DPO ahead on ${wins}/${seeds.length} seeds).`,
        `RA-DPO vs DPO difference ${ciStr(diff)} (95% CI over ${seeds.length} seeds; RA-DPO ahead on ${wins}/${seeds.length} seeds): the CI includes 0 or is negative, so the claim is not reproduced at this size.`),
      methodTable(agg, `mean ± 95% CI half-width over ${seeds.length} seeds`),
      methodBars(agg, 'reward', 'Exact reward at the top goal'),
      methodBars(agg, 'top_share', 'Share of top-score responses'),
      methodBars(agg, 'win_rate_vs_sft', 'Win rate against SFT'),
      curveChart(per[0]!.logs, 'loss', `Training loss (seed ${seeds[0]})`, 'loss', ['dpo', 'ra_dpo', 'dpo_dup', 'ra_dpo_half']),
    ],
  }];
  return { name: 'headline', results: { seeds, per_seed: per.map((p) => ({ seed: p.seed, methods: p.methods, pairs: p.pairs, seconds: p.seconds })), aggregate: agg, ra_minus_dpo: diff }, sections };
};

function highRejectedEval(ctx: RunContext, minScore: number): { plain: PreferencePair[]; conditioned: PreferencePair[] } {
  const rows = (ctx.data.test_prefs as unknown as Row[]).filter((r) => (r.score_rejected as number) >= minScore);
  const schema = rows.length ? detectSchema(rows[0]!) : null;
  if (!schema) return { plain: [], conditioned: [] };
  const toPairs = (rs: Row[]): PreferencePair[] => rs.map((r, i) => toPreferencePair(r, { schema, file: '<eval>', line: i + 1 }));
  // Negative copies: chosen = the rejected response, conditioned on its own score.
  const aug = augmentPairs(rows, { placement: ctx.cfg.goal_placement, goal_template: TASK_GOAL_TEMPLATE, allow_duplicate_ids: true });
  return { plain: toPairs(rows), conditioned: toPairs(aug.slice(rows.length)) };
}

/** Experiment 3: log-probabilities of high-scoring rejected responses during training, DPO vs RA-DPO. */
export const unlearning: ExperimentFn = async (base, seeds, hooks) => {
  const minScore = 8;
  const per: { seed: number; dpo: [number, number][]; ra: [number, number][]; n: number }[] = [];
  for (const seed of seeds) {
    const ctx = await prepareRun({ ...base, seed }, hooks);
    const ev = highRejectedEval(ctx, minScore);
    const d = await trainVariant(ctx, 'dpo', hooks, ev.plain);
    const r = await trainVariant(ctx, 'ra_dpo', hooks, ev.conditioned);
    const pick = (log: Record<string, number>[], key: string): [number, number][] => log.filter((e) => typeof e[key] === 'number').map((e) => [e.step!, e[key]!]);
    per.push({ seed, dpo: pick(d.log, 'eval_logps/rejected'), ra: pick(r.log, 'eval_logps/chosen'), n: ev.plain.length });
  }
  // Change from the first evaluation, at the same fraction of training, averaged over seeds.
  const rel = (pts: [number, number][]): [number, number][] => pts.map(([s, v]) => [s / (pts[pts.length - 1]?.[0] || 1), v - (pts[0]?.[1] ?? 0)]);
  const finalDrop = (k: 'dpo' | 'ra'): MeanCI => ci(per.map((p) => { const r = rel(p[k]); return r[r.length - 1]?.[1] ?? NaN; }));
  const dDrop = finalDrop('dpo'), rDrop = finalDrop('ra');
  const series: LineSeries[] = [];
  per.forEach((p, i) => {
    series.push({ name: `DPO: log p(y_l | x), seed ${p.seed}`, points: rel(p.dpo), color: '#D55E00', dashed: i > 0 });
    series.push({ name: `RA-DPO: log p(y_l | x, g = r_l), seed ${p.seed}`, points: rel(p.ra), color: '#0072B2', dashed: i > 0 });
  });
  const sections: Section[] = [{
    id: 'unlearning', title: 'Experiment 3: unlearning of high-quality rejected responses',
    blocks: [
      { kind: 'text', text: `Held-out pairs whose rejected response scores >= ${minScore}. DPO: log-probability of the rejected response; RA-DPO: of the same response conditioned on its own score (the goal that describes it). Change from the start of training.` },
      verdict(rDrop.mean > dDrop.mean, `Rejected high-quality responses fall less under RA-DPO: change ${ciStr(rDrop)} vs ${ciStr(dDrop)} nats under DPO.`, `Not reproduced: change ${ciStr(rDrop)} under RA-DPO vs ${ciStr(dDrop)} under DPO.`),
      { kind: 'table', headers: ['method', 'change in log p of high-score rejected (nats, 95% CI)', 'eval pairs per seed'], rows: [['DPO', ciStr(dDrop), per[0]?.n ?? 0], ['RA-DPO', ciStr(rDrop), per[0]?.n ?? 0]] },
      { kind: 'line', chart: { title: 'Log-prob of high-score rejected responses', xLabel: 'fraction of training', yLabel: 'change in log-prob (nats)', series: series.slice(0, 6) } },
    ],
  }];
  return { name: 'unlearning', results: { seeds, min_rejected_score: minScore, per_seed: per, final_change: { dpo: dDrop, ra_dpo: rDrop } }, sections };
};

/** Experiment 4: reward achieved at each goal, and at a top goal held out of training. */
export const controllability: ExperimentFn = async (base, seeds, hooks) => {
  const goals = [2, 4, 6, 8, 9, 10];
  const per: { seed: number; byGoal: Record<string, number>; heldOut: number; dpo: number; ra: number }[] = [];
  for (const seed of seeds) {
    const ctx = await prepareRun({ ...base, seed }, hooks);
    const ra = await trainVariant(ctx, 'ra_dpo', hooks);
    const byGoal: Record<string, number> = {};
    for (const g of goals) { hooks.onStage?.(`eval goal ${g}`); byGoal[g] = summarise(await evalAt(ctx, ra.model, g, g), await evalAt(ctx, ctx.sft, null, 0), ctx.task.maxReward).reward; }
    const noTop = await trainVariant(ctx, 'ra_dpo_no_top', hooks);
    const held = (await evalAt(ctx, noTop.model, ctx.topGoal, 0)).rewards;
    const dpo = await trainVariant(ctx, 'dpo', hooks);
    const dpoR = (await evalAt(ctx, dpo.model, null, 0)).rewards;
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    per.push({ seed, byGoal, heldOut: mean(held), dpo: mean(dpoR), ra: byGoal['10']! });
  }
  const rho = ci(per.map((p) => spearman(goals, goals.map((g) => p.byGoal[g]!))));
  const curve = goals.map((g) => ci(per.map((p) => p.byGoal[g]!)));
  const held = ci(per.map((p) => p.heldOut)), dpo = ci(per.map((p) => p.dpo)), ra = ci(per.map((p) => p.ra));
  const sections: Section[] = [{
    id: 'control', title: 'Experiment 4: controllability and a held-out top goal',
    blocks: [
      verdict(rho.mean > 0.5, `Achieved reward rises with the goal: Spearman(goal, reward) ${ciStr(rho)}.`, `Weak control: Spearman(goal, reward) ${ciStr(rho)}.`),
      { kind: 'line', chart: { title: 'Exact reward achieved at each goal (RA-DPO)', xLabel: 'goal g', yLabel: 'exact reward', markers: true, series: [
        { name: 'RA-DPO, mean and 95% CI', points: goals.map((g, i) => [g, curve[i]!.mean]), band: goals.map((g, i) => [g, curve[i]!.lo, curve[i]!.hi]) },
        { name: 'ideal (reward = goal)', points: [[goals[0]!, goals[0]!], [10, 10]], dashed: true, color: '#999999' },
      ] } },
      { kind: 'table', headers: ['model', 'exact reward at the top goal (95% CI)'], rows: [['DPO (no goal)', ciStr(dpo)], ['RA-DPO', ciStr(ra)], ['RA-DPO trained without any goal-10 copies', ciStr(held)]],
        caption: 'Held-out top goal: every relabeled copy with goal 10 is removed before training; the model is then asked for goal 10.' },
    ],
  }];
  return { name: 'controllability', results: { seeds, goals, per_seed: per, spearman_goal_reward: rho, held_out_top: held, dpo, ra_dpo: ra }, sections };
};

/** Experiment 6: the same relabeling printed on goal scales 1-5, 1-10 and 0-100. */
export const goalScale: ExperimentFn = async (base, seeds, hooks) => {
  const scales = ['1-5', '1-10', '0-100'] as const;
  const per: { seed: number; dpo: MethodEval; byScale: Record<string, MethodEval> }[] = [];
  for (const seed of seeds) {
    // The SFT model's goal rows use the same scale as the relabeled data, so each scale gets its own SFT model.
    const ctx = await prepareRun({ ...base, seed, goal_scale: '1-10' }, hooks);
    const sft = await evalAt(ctx, ctx.sft, null, 0);
    const top = ctx.task.maxReward;
    const d = await trainVariant(ctx, 'dpo', hooks);
    const dpo = summarise(await evalAt(ctx, d.model, null, 0), sft, top);
    const byScale: Record<string, MethodEval> = {};
    for (const sc of scales) {
      const c = sc === '1-10' ? ctx : await prepareRun({ ...base, seed, goal_scale: sc }, hooks);
      const r = await trainVariant(c, 'ra_dpo', hooks);
      byScale[sc] = summarise(await evalAt(c, r.model, c.topGoal, 0), sft, top);
    }
    per.push({ seed, dpo, byScale });
  }
  const rows = [['DPO', ciStr(ci(per.map((p) => p.dpo.reward))), ciStr(ci(per.map((p) => p.dpo.top_share)))]];
  for (const sc of scales) rows.push([`RA-DPO, goals on ${sc}`, ciStr(ci(per.map((p) => p.byScale[sc]!.reward))), ciStr(ci(per.map((p) => p.byScale[sc]!.top_share)))]);
  const bars = [{ label: 'DPO', v: ci(per.map((p) => p.dpo.reward)) }, ...scales.map((sc) => ({ label: `RA ${sc}`, v: ci(per.map((p) => p.byScale[sc]!.reward)) }))];
  const sections: Section[] = [{
    id: 'scale', title: 'Experiment 6: goal-scale robustness',
    blocks: [
      { kind: 'text', text: 'The judge scores (1-10) are mapped linearly onto each scale before relabeling; at inference the policy is asked for the top of that scale.' },
      { kind: 'table', headers: ['method', 'exact reward (95% CI)', 'top-score share (95% CI)'], rows },
      { kind: 'bar', chart: { title: 'Exact reward by goal scale', xLabel: 'method', yLabel: 'exact reward', groups: bars.map((b) => ({ label: b.label, bars: [{ series: 'mean and 95% CI', mean: b.v.mean, lo: Number.isFinite(b.v.lo) ? b.v.lo : undefined, hi: Number.isFinite(b.v.hi) ? b.v.hi : undefined }] })) } },
    ],
  }];
  return { name: 'scale', results: { seeds, scales, per_seed: per }, sections };
};

/** Experiment 7: the goal-conditioned policy as a verifier: E[g | x, y] from log p(y | x, g), vs the exact reward. */
export const verifier: ExperimentFn = async (base, seeds, hooks) => {
  const goals = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const per: { seed: number; spearman: number; implicit_spearman: number; n: number }[] = [];
  for (const seed of seeds) {
    const ctx = await prepareRun({ ...base, seed }, hooks);
    const ra = await trainVariant(ctx, 'ra_dpo', hooks);
    const dpo = await trainVariant(ctx, 'dpo', hooks);
    hooks.onStage?.('verifier scoring');
    const items = ctx.data.multi.test.slice(0, 60).flatMap((r) => r.completions.map((c) => ({ prompt: r.prompt, response: c.response, exact: c.exact })));
    const rows = items.flatMap((it) => goals.map((g) => ({ prompt: conditionedPrompt(it.prompt, g, ctx.goal) as ChatMessage[], completion: [{ role: 'assistant', content: it.response }] as ChatMessage[] })));
    const lp = await scoreCompletions(ra.model, ctx.tok, rows, { progress: false, batch_size: 64 });
    const expected = items.map((_, i) => {
      const l = goals.map((_, j) => lp[i * goals.length + j]!.completion_logprob);
      const m = Math.max(...l);
      const w = l.map((x) => Math.exp(x - m));
      const s = w.reduce((a, b) => a + b, 0);
      return w.reduce((a, x, j) => a + (x / s) * goals[j]!, 0);
    });
    const plainRows = items.map((it) => ({ prompt: conditionedPrompt(it.prompt, null) as ChatMessage[], completion: [{ role: 'assistant', content: it.response }] as ChatMessage[] }));
    const pol = await scoreCompletions(dpo.model, ctx.tok, plainRows, { progress: false, batch_size: 64 });
    const ref = await scoreCompletions(ctx.sft, ctx.tok, plainRows, { progress: false, batch_size: 64 });
    const implicit = pol.map((p, i) => p.completion_logprob - ref[i]!.completion_logprob);
    const exact = items.map((it) => it.exact);
    per.push({ seed, spearman: spearman(expected, exact), implicit_spearman: spearman(implicit, exact), n: items.length });
  }
  const v = ci(per.map((p) => p.spearman)), imp = ci(per.map((p) => p.implicit_spearman));
  const sections: Section[] = [{
    id: 'verifier', title: 'Experiment 7: the goal-conditioned policy as a verifier',
    blocks: [
      { kind: 'text', text: 'Each held-out response y is scored by E[g | x, y] with p(g | x, y) ∝ p(y | x, g) over goals 1-10 (uniform prior), using the RA-DPO policy; compared with the DPO implicit reward log pi(y|x) - log pi_ref(y|x).' },
      verdict(v.mean > 0.3, `The conditioned policy ranks responses like the exact reward: Spearman ${ciStr(v)} (DPO implicit reward: ${ciStr(imp)}).`, `Weak verifier: Spearman ${ciStr(v)} (DPO implicit reward: ${ciStr(imp)}).`),
      { kind: 'bar', chart: { title: 'Spearman correlation with the exact reward', xLabel: 'scorer', yLabel: 'Spearman rho', yMin: Math.min(0, v.lo, imp.lo), yMax: 1, groups: [
        { label: 'RA-DPO E[g | x, y]', bars: [{ series: 'mean and 95% CI', mean: v.mean, lo: Number.isFinite(v.lo) ? v.lo : undefined, hi: Number.isFinite(v.hi) ? v.hi : undefined }] },
        { label: 'DPO implicit reward', bars: [{ series: 'mean and 95% CI', mean: imp.mean, lo: Number.isFinite(imp.lo) ? imp.lo : undefined, hi: Number.isFinite(imp.hi) ? imp.hi : undefined }] },
      ] } },
    ],
  }];
  return { name: 'verifier', results: { seeds, goals, per_seed: per, spearman: v, implicit_spearman: imp }, sections };
};

/**
 * Experiment 8 (beyond the paper): DPO vs RA-DPO as the judge gets noisier. AI-feedback scores are noisy; the paper's
 * failure mode 2 (low-quality chosen responses learned indiscriminately) grows with judge noise, while RA-DPO keeps
 * each response's score. Every level regenerates the data with that judge and trains its own SFT model.
 */
export const noise: ExperimentFn = async (base, seeds, hooks) => {
  const levels = base.noise_levels.split(',').map((x) => Number(x.trim()));
  if (levels.some((x) => !Number.isFinite(x) || x < 0)) throw new RadpoError('usage', 'expected comma-separated non-negative numbers', { field: 'noise_levels', value: base.noise_levels });
  const rows: { noise: number; agreement: number; diff: MeanCI; wins: number; agg: Record<string, Record<'reward' | 'top_share' | 'win_rate_vs_sft', MeanCI>>; per_seed: { seed: number; methods: Record<string, MethodEval> }[] }[] = [];
  for (const level of levels) {
    const per = [];
    for (const seed of seeds) per.push(await runHeadlineSeed({ ...base, seed, judge_noise: level }, ['dpo', 'ra_dpo'], hooks));
    const agreement = per[0]!.judge_agreement;   // the first seed's data, as the table reports one value per level
    const d = per.map((p) => p.methods.ra_dpo!.reward - p.methods.dpo!.reward);
    rows.push({ noise: level, agreement, diff: ci(d), wins: d.filter((x) => x > 0).length, agg: aggregate(per.map((p) => p.methods)), per_seed: per.map((p) => ({ seed: p.seed, methods: p.methods })) });
  }
  const line = (m: string, name: string, dashed = false): LineSeries => ({
    name, dashed, points: rows.map((r) => [r.noise, r.agg[m]!.reward.mean]),
    band: rows.every((r) => Number.isFinite(r.agg[m]!.reward.lo)) ? rows.map((r) => [r.noise, r.agg[m]!.reward.lo, r.agg[m]!.reward.hi]) : undefined,
  });
  const sections: Section[] = [{
    id: 'noise', title: 'Experiment 8: judge noise (beyond the paper)',
    blocks: [
      { kind: 'text', text: 'Each level regenerates the data with a judge that adds Gaussian noise of that standard deviation to the exact reward (then rounds), and trains its own SFT, DPO and RA-DPO models; evaluation always uses the exact reward. Agreement = share of response pairs with different exact rewards that the judge orders the same way.' },
      { kind: 'table', caption: `mean ± 95% CI half-width over ${seeds.length} seeds`, headers: ['judge noise', 'judge agreement', 'SFT', 'SFT at the top goal', 'DPO', 'RA-DPO', 'RA-DPO - DPO', 'RA-DPO ahead'],
        rows: rows.map((r) => [r.noise, r.agreement.toFixed(3), ciStr(r.agg.sft!.reward), ciStr(r.agg.sft_goal!.reward), ciStr(r.agg.dpo!.reward), ciStr(r.agg.ra_dpo!.reward), ciStr(r.diff), `${r.wins}/${seeds.length}`]) },
      { kind: 'line', chart: { title: 'Exact reward vs judge noise', xLabel: 'judge noise (std)', yLabel: 'exact reward', markers: true, series: [line('dpo', 'DPO'), line('ra_dpo', 'RA-DPO (goal 10)'), line('sft_goal', 'SFT at goal 10', true), line('sft', 'SFT', true)] } },
    ],
  }];
  return { name: 'noise', results: { seeds, levels: rows }, sections };
};

export const EXPERIMENTS: Record<string, { fn: ExperimentFn; summary: string }> = {
  headline: { fn: headline, summary: 'DPO vs RA-DPO at the top goal, with duplicated-data and half-data controls' },
  unlearning: { fn: unlearning, summary: 'log-probs of high-score rejected responses during training' },
  controllability: { fn: controllability, summary: 'reward achieved per goal; a top goal held out of training' },
  ira: { fn: ira, summary: 'implicit-reward relabeling (IRA) and a second round vs DPO and judge-score RA-DPO' },
  scale: { fn: goalScale, summary: 'goal scales 1-5, 1-10 and 0-100' },
  noise: { fn: noise, summary: 'DPO vs RA-DPO as the judge gets noisier (beyond the paper)' },
  verifier: { fn: verifier, summary: 'the goal-conditioned policy as a verifier (Spearman with the exact reward)' },
};

export { GOAL_CONDITIONED, METHOD_LABELS };
