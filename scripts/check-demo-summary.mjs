#!/usr/bin/env node
// Checks `radpo demo`'s summary.json: the contract (methods sft, dpo, ra_dpo with reward, top_share,
// win_rate_vs_sft; seed; run time), the 10-minute budget, and the headline of the issue: RA-DPO above DPO in exact
// reward at the top goal (it holds on every seed run in the demo's setting: README, docs/experiments.md).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'runs/demo/summary.json';
const s = JSON.parse(readFileSync(file, 'utf8'));
const missing = [];
for (const m of ['sft', 'dpo', 'ra_dpo']) {
  for (const k of ['reward', 'top_share', 'win_rate_vs_sft']) if (typeof s[m]?.[k] !== 'number') missing.push(`${m}.${k}`);
}
if (typeof s.seed !== 'number') missing.push('seed');
if (typeof s.run_time_s !== 'number') missing.push('run_time_s');
if (missing.length) {
  console.error(`${file}: missing ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`demo (seed ${s.seed}, ${s.run_time_s.toFixed(0)} s): exact reward sft ${s.sft.reward.toFixed(3)}, dpo ${s.dpo.reward.toFixed(3)}, ra_dpo ${s.ra_dpo.reward.toFixed(3)} (ra_dpo - dpo ${(s.ra_dpo.reward - s.dpo.reward).toFixed(3)})`);
const problems = [];
if (s.run_time_s > 600) problems.push(`run time ${s.run_time_s} s is over the 10-minute budget`);
if (!(s.ra_dpo.reward > s.dpo.reward)) problems.push(`RA-DPO (${s.ra_dpo.reward}) is not above DPO (${s.dpo.reward}) in exact reward`);
if (problems.length) {
  console.error(`${file}: ${problems.join('; ')}`);
  process.exit(1);
}
