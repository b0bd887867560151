// Report section for experiment 1 (the toy examples): a probability table and a bar chart per example.
// Not the solver (toy.ts).

import type { Block, Section } from '../report/html.js';
import type { ToyResult } from './toy.js';

function pct(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

export function toySection(results: ToyResult[]): Section {
  const blocks: Block[] = [{ kind: 'text', html: `<p>Tabular softmax policies over a few responses with a uniform reference, DPO loss (beta ${results[0]?.beta}, label smoothing ${results[0]?.label_smoothing} so the optimum is finite) minimised by Newton's method in float64. "RA-DPO, g" is the goal-conditioned policy trained on the relabeled pairs, read at goal g.</p>` }];
  for (const r of results) {
    const labels = r.example.responses.map((x) => `${x.label} (score ${x.score})`);
    const rows: (string | number)[][] = [['DPO', ...r.dpo.probs.map(pct), r.expectedScore.dpo.toFixed(3)]];
    for (const c of r.conditioned) rows.push([`RA-DPO, g = ${c.goal}`, ...c.probs.map(pct), (r.expectedScore.conditioned[String(c.goal)] ?? NaN).toFixed(3)]);
    blocks.push({ kind: 'text', html: `<p><b>${r.example.name}</b>: ${r.example.description}</p>` });
    blocks.push({ kind: 'table', headers: ['policy', ...labels.map((l) => `p(${l})`), 'expected score'], rows, caption: `pairs: ${r.example.pairs.map(([w, l]) => `${r.example.responses[w]!.label} > ${r.example.responses[l]!.label}`).join(', ')}` });
    blocks.push({ kind: 'bar', chart: {
      title: `${r.example.name}: policy at the optimum`, xLabel: 'response', yLabel: 'probability', yMin: 0, yMax: 1,
      groups: r.example.responses.map((resp, i) => ({ label: `${resp.label} (${resp.score})`, bars: [
        { series: 'DPO', mean: r.dpo.probs[i]! },
        ...r.conditioned.filter((c) => (c.goal ?? 0) > 0).map((c) => ({ series: `RA-DPO, g = ${c.goal}`, mean: c.probs[i]! })),
      ] })),
    } });
  }
  return { id: 'toy', title: 'Experiment 1: toy examples solved exactly', blocks };
}
