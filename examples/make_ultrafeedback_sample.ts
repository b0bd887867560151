// Rebuilds examples/ultrafeedback_sample.jsonl from ../shared/data/real/trl-standard (first 120 valid rows) in the
// HuggingFaceH4/ultrafeedback_binarized layout. Run: npx tsx examples/make_ultrafeedback_sample.ts. Not used at runtime.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';

const src = new URL('../../shared/data/real/trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl', import.meta.url);
const lines = fs.readFileSync(src, 'utf8').split('\n').filter((l) => l.trim())
  // Rows whose chosen equals rejected (one in this file) are invalid preference pairs: leave them out.
  .filter((l) => { const r = JSON.parse(l) as { chosen: string; rejected: string }; return r.chosen !== r.rejected && r.chosen.trim() !== '' && r.rejected.trim() !== ''; })
  .slice(0, 120);
const out = lines.map((l) => {
  const r = JSON.parse(l) as { prompt: string; chosen: string; rejected: string; metadata: { score_chosen: number; score_rejected: number } };
  const chosen = [{ content: r.prompt, role: 'user' }, { content: r.chosen, role: 'assistant' }];
  const rejected = [{ content: r.prompt, role: 'user' }, { content: r.rejected, role: 'assistant' }];
  return JSON.stringify({
    prompt: r.prompt,
    prompt_id: createHash('sha256').update(r.prompt, 'utf8').digest('hex'),
    chosen, rejected, messages: chosen,
    score_chosen: r.metadata.score_chosen, score_rejected: r.metadata.score_rejected,
  });
});
fs.writeFileSync(new URL('./ultrafeedback_sample.jsonl', import.meta.url), out.join('\n') + '\n');
console.log(`wrote ${out.length} rows`);
