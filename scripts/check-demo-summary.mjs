#!/usr/bin/env node
// Checks the summary.json contract of `radpo demo` (methods sft, dpo, ra_dpo with reward, top_share,
// win_rate_vs_sft; seed; run time) and prints the rewards. The paper's headline (ra_dpo above dpo) is reported, not
// asserted: at this scale it does not reproduce (README, docs/experiments.md).
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
console.log(`demo (seed ${s.seed}, ${s.run_time_s.toFixed(0)} s): exact reward sft ${s.sft.reward.toFixed(3)}, dpo ${s.dpo.reward.toFixed(3)}, ra_dpo ${s.ra_dpo.reward.toFixed(3)}`);
