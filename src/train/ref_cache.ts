// Reference log-probs computed once over a dataset and cached on disk, keyed by a hash of the tokenized data, the
// reference weights and the settings that change them. Not the live reference pass (that runs inside the loop).

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { collatePreference, type LengthOptions, type TokenizedPair } from './collate.js';
import type { TrainableModel } from './model_api.js';
import { referenceLogps } from './objective.js';

const FORMAT = 'radpo-ref-logps-v1';

/** Default cache folder: $XDG_CACHE_HOME/radpo/ref-logps or ~/.cache/radpo/ref-logps. */
export function defaultRefCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'radpo', 'ref-logps');
}

/** sha256 over everything the reference log-probs depend on. */
export function refCacheKey(pairs: TokenizedPair[], model: TrainableModel, len: LengthOptions, padId: number): string {
  const h = createHash('sha256');
  h.update(FORMAT);
  h.update(JSON.stringify({ len, padId, config: model.config }));
  const d = model.params.data;
  h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  for (const p of pairs) h.update(JSON.stringify([p.prompt_ids, p.chosen_ids, p.rejected_ids]));
  return h.digest('hex');
}

/**
 * Reference log-prob sums of every pair: from `cacheDir/<key>.json` when present, else computed with `ref` in
 * batches of `batchSize` and written there (null cacheDir: compute only). Returns the pairs with
 * ref_chosen_logps / ref_rejected_logps set, plus whether the cache was hit.
 */
export async function precomputeRefLogps(
  pairs: TokenizedPair[], ref: TrainableModel, o: { len: LengthOptions; padId: number; batchSize: number; cacheDir: string | null },
): Promise<{ pairs: TokenizedPair[]; hit: boolean; key: string }> {
  const key = refCacheKey(pairs, ref, o.len, o.padId);
  const file = o.cacheDir ? path.join(o.cacheDir, `${key}.json`) : null;
  if (file && fs.existsSync(file)) {
    try {
      const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { format: string; chosen: number[]; rejected: number[] };
      if (c.format === FORMAT && c.chosen.length === pairs.length && c.rejected.length === pairs.length) {
        return { pairs: pairs.map((p, i) => ({ ...p, ref_chosen_logps: c.chosen[i] as number, ref_rejected_logps: c.rejected[i] as number })), hit: true, key };
      }
    } catch { /* unreadable cache entry: recompute and overwrite */ }
  }
  const chosen: number[] = [], rejected: number[] = [];
  const V = ref.config.vocab_size;
  for (let i = 0; i < pairs.length; i += o.batchSize) {
    const chunk = pairs.slice(i, i + o.batchSize).map(({ ref_chosen_logps: _a, ref_rejected_logps: _b, ...rest }) => rest);
    const b = collatePreference(chunk, o.padId, o.len);
    const logits = await ref.forward(b.ids, b.B, b.T, { attentionMask: b.attentionMask, train: false });
    const s = await referenceLogps(logits, b, V);
    for (let j = 0; j < b.n; j++) { chosen.push(s[j] as number); rejected.push(s[b.n + j] as number); }
  }
  if (file) writeJsonAtomic(file, { format: FORMAT, chosen, rejected });
  return { pairs: pairs.map((p, i) => ({ ...p, ref_chosen_logps: chosen[i] as number, ref_rejected_logps: rejected[i] as number })), hit: false, key };
}
