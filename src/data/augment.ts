// Reward augmentation of whole datasets: streams pairs, filters (fine-grained, ties), writes positive copies then
// negative copies (spilled as recipes, see augment_sink.ts) or a seeded shuffle, plus the eval split. Not the per-row rule.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Progress } from '../util/progress.js';
import { tempPathFor } from '../util/atomic.js';
import { AsyncOutFile } from './async_file.js';
import { InvalidRowError, stopOnInvalid, type InvalidHandler } from './invalid.js';
import { readRows, detectContainer } from './read.js';
import { detectSchema, PAIR_SCHEMAS, SCHEMAS, type FieldMap, type SchemaName } from './schema.js';
import { Relabeler, applyOverride, fineGrainedMeans, fnv1a, overrideJson, seedJsonCache, type Placement, type RelabeledPair, type RelabelOptions } from './augment_row.js';
import { AUGMENT_FAST_PATH, BackgroundSync, LineSink, PairWriter, RecipeSink, replayNegatives } from './augment_sink.js';
import { outputKind, writeRowsTo } from './write.js';
import type { Goal } from './goal.js';
import type { Row } from './types.js';

export interface AugmentOptions {
  placement?: Placement;
  goal_template?: string;
  attributes?: string[];
  score_scale?: [number, number];
  goal_scale?: [number, number];
  goal_decimals?: number;
  goal_column?: boolean;
  swap_scores?: boolean;
  fine_grained_filter?: boolean;    // keep a pair only if mean fine-grained chosen >= rejected (when present); default true
  ties?: 'keep' | 'drop';           // default 'keep' (as the reference)
  order?: 'reference' | 'shuffle';  // reference: all positives, then all negatives
  seed?: number;
  schema?: SchemaName;              // default: detected from the first row
  field_map?: FieldMap;
  split?: string;                   // dataset folder input: which split
  allow_duplicate_ids?: boolean;
  onInvalid?: InvalidHandler;
  progress?: boolean;
}

export interface AugmentStats {
  schema: SchemaName;
  rows_in: number;
  pairs_kept: number;
  rows_out: number;
  dropped_fine_grained: number;
  dropped_ties: number;
  ties_kept: number;
  invalid: number;
}

function relabelOptions(o: AugmentOptions, schema: SchemaName): RelabelOptions {
  return {
    placement: o.placement, goal_template: o.goal_template, attributes: o.attributes, score_scale: o.score_scale,
    goal_scale: o.goal_scale, goal_decimals: o.goal_decimals, goal_column: o.goal_column, swap_scores: o.swap_scores,
    schema, field_map: o.field_map,
  };
}

function checkSchema(s: string | null, file: string, line: number, row: Row): SchemaName {
  if (s === null) throw new RadpoError('input', 'cannot tell the schema of this row; pass --schema custom with --field_map (e.g. chosen=a,rejected=b,score_chosen=meta.s1)', { file, line, value: Object.keys(row) });
  if (!(SCHEMAS as readonly string[]).includes(s)) throw new RadpoError('config', `unknown schema; known: ${SCHEMAS.join(', ')}`, { field: 'schema', value: s });
  if (!PAIR_SCHEMAS.has(s as SchemaName)) {
    throw new RadpoError('input', `rows are ${s}, not scored pairs: run \`radpo prepare ${s.startsWith('ultrafeedback') ? 'ultrafeedback' : 'helpsteer2'}\` first, or \`radpo augment --multi_response\``, { file, line });
  }
  return s as SchemaName;
}

/** Per-row filter and bookkeeping shared by the in-memory and streaming paths. */
class PairFilter {
  readonly ids = new Set<string>();
  readonly pairHashes = new Set<number>();
  stats: AugmentStats;
  constructor(readonly o: AugmentOptions, schema: SchemaName) {
    this.stats = { schema, rows_in: 0, pairs_kept: 0, rows_out: 0, dropped_fine_grained: 0, dropped_ties: 0, ties_kept: 0, invalid: 0 };
  }
  /**
   * Duplicate check: a repeated `id` or `pair_id`; or, for data keyed by `prompt_id` only (a prompt may have several
   * pairs), a repeated prompt_id with the same completions. The latter is kept as one 53-bit number per row
   * (hash of prompt_id and completions; chance of a false alarm ~ n^2 / 2^54, about 1e-6 at 200k rows).
   */
  checkId(row: Row, file: string, line: number, fingerprint: number): void {
    if (this.o.allow_duplicate_ids) return;
    const key = row.id !== undefined ? 'id' : row.pair_id !== undefined ? 'pair_id' : row.prompt_id !== undefined ? 'prompt_id' : null;
    if (key === null) return;
    let dup: boolean;
    if (key === 'prompt_id') {
      const h = fnv1a(String(row.prompt_id), 0x811c9dc5, 0) * 2097152 + (fingerprint & 0x1fffff);
      dup = this.pairHashes.has(h);
      this.pairHashes.add(h);
    } else {
      const id = String(row[key]);
      dup = this.ids.has(id);
      this.ids.add(id);
    }
    if (dup) {
      const what = key === 'prompt_id' ? 'duplicate pair (same prompt_id, chosen and rejected)' : `duplicate ${key}`;
      throw new InvalidRowError('duplicate_id', `${what} (pass --allow_duplicate_ids if repeats are intended)`, { file, line, field: key, value: row[key] });
    }
  }
  /** false when the pair is filtered out (not an error). */
  keep(row: Row, sc: number, sr: number): boolean {
    if (this.o.fine_grained_filter !== false) {
      const m = fineGrainedMeans(row);
      if (m && !(m[0] >= m[1])) { this.stats.dropped_fine_grained++; return false; }
    }
    if (sc === sr) {
      if (this.o.ties === 'drop') { this.stats.dropped_ties++; return false; }
      this.stats.ties_kept++;
    }
    return true;
  }
}

/**
 * In-memory augmentation (experiments, tests): rows of any pair schema (PreferencePair objects included) ->
 * positive copies in input order, then negative copies; or a seeded shuffle with `order: 'shuffle'`.
 */
export function augmentPairs(rows: Iterable<Row>, options: AugmentOptions = {}): Row[] {
  const pos: Row[] = []; const neg: Row[] = [];
  let rl: Relabeler | null = null; let filter: PairFilter | null = null;
  const onInvalid = options.onInvalid ?? stopOnInvalid;
  let line = 0;
  for (const row of rows) {
    line++;
    if (!rl) {
      const schema = checkSchema(options.schema ?? detectSchema(row), '<pairs>', line, row);
      rl = new Relabeler(relabelOptions(options, schema)); filter = new PairFilter(options, schema);
    }
    const f = filter as PairFilter;
    f.stats.rows_in++;
    try {
      const r = rl.relabel(row, '<pairs>', line);
      f.checkId(row, '<pairs>', line, r.fingerprint);
      if (!f.keep(row, r.scoreChosen, r.scoreRejected)) continue;
      pos.push(applyOverride(row, r.pos)); neg.push(applyOverride(row, r.neg));
    } catch (e) {
      if (!(e instanceof InvalidRowError)) throw e;
      onInvalid(e, row);
    }
  }
  const out = pos.concat(neg);
  return options.order === 'shuffle' ? new Rng(options.seed ?? 42).shuffle(out) : out;
}

/** Goal-conditions every row of an evaluation set on one goal (no swap), e.g. g = 10 at the top of the scale. */
export function conditionPairs(rows: Iterable<Row>, goal: Goal, options: AugmentOptions = {}): Row[] {
  const out: Row[] = [];
  let rl: Relabeler | null = null;
  let line = 0;
  for (const row of rows) {
    line++;
    rl ??= new Relabeler(relabelOptions(options, checkSchema(options.schema ?? detectSchema(row), '<pairs>', line, row)));
    out.push(applyOverride(row, rl.condition(row, goal, '<pairs>', line)));
  }
  return out;
}

/** Streams INPUT -> OUTPUT (JSONL, Parquet or a dataset folder, by OUTPUT's name) with bounded memory. */
export async function augmentFile(input: string, output: string, options: AugmentOptions = {}): Promise<AugmentStats> {
  const kind = outputKind(output);
  if (kind !== 'jsonl') {
    // Stream to a temporary JSONL, then convert it row group by row group.
    const tmp = tempPathFor(`${output}.jsonl`);
    try {
      const stats = await augmentFile(input, tmp, options);
      await writeRowsTo(output, { train: readRowsPlain(tmp) }, { title: 'Reward-augmented preference pairs', made: augmentCardText(input, options, stats) });
      return stats;
    } finally { fs.rmSync(tmp, { force: true }); }
  }
  detectContainer(input);
  const onInvalid = options.onInvalid ?? stopOnInvalid;
  const out = new AsyncOutFile(output);
  const spillPath = tempPathFor(`${output}.neg`);
  const spill = new AsyncOutFile(spillPath, false, spillPath);
  const progress = new Progress({ label: 'augment', unit: 'rows', enabled: options.progress });
  const shuffle = options.order === 'shuffle';
  // Shuffle mode: both copies go to the spill file; offsets (8 bytes per row) are all that stays in memory.
  let offsets: number[] = []; let spillBytes = 0;
  let negBuf = '';
  const FLUSH = 1 << 20;
  // Reference order: positive copies to the output, recipes of the negative copies to the spill file; the negative
  // copies are rebuilt from the recipes and the positive copies' bytes, and appended, at the end.
  const posSink = new LineSink(out); const negSink = new RecipeSink(spill);
  const sync = new BackgroundSync(out.tmp);
  posSink.sync = sync;
  const pairs = new PairWriter(posSink, negSink);
  let rl: Relabeler | null = null; let filter: PairFilter | null = null;
  try {
    let readerInvalid = 0;
    const countingOnInvalid: InvalidHandler = (e, raw) => { readerInvalid++; onInvalid(e, raw); };
    for await (const { row, line, file, text, bytes } of readRows(input, { split: options.split, onInvalid: countingOnInvalid, text: AUGMENT_FAST_PATH.enabled })) {
      if (!rl) {
        const schema = checkSchema(options.schema ?? detectSchema(row), file, line, row);
        rl = new Relabeler(relabelOptions(options, schema)); filter = new PairFilter(options, schema);
      }
      const f = filter as PairFilter;
      f.stats.rows_in++;
      let r: RelabeledPair;
      try {
        r = rl.relabel(row, file, line);
        f.checkId(row, file, line, r.fingerprint);
        if (!f.keep(row, r.scoreChosen, r.scoreRejected)) continue;
      } catch (e) {
        if (!(e instanceof InvalidRowError)) throw e;
        f.stats.invalid++;
        onInvalid(e, row);
        continue;
      }
      f.stats.pairs_kept++;
      if (shuffle) {
        const cache = new Map<unknown, string>();
        if (text !== undefined) seedJsonCache(row, text, cache);
        for (const l of [overrideJson(row, r.pos, cache) + '\n', overrideJson(row, r.neg, cache) + '\n']) { offsets.push(spillBytes); spillBytes += Buffer.byteLength(l); negBuf += l; }
        if (negBuf.length > FLUSH) { await spill.write(negBuf); negBuf = ''; }
      } else await pairs.write(row, r.pos, r.neg, text, bytes);
      if ((f.stats.rows_in & 1023) === 0) progress.update(f.stats.rows_in);
    }
    if (!filter) throw new RadpoError('input', `no valid rows (${readerInvalid} invalid)`, { file: input });
    await posSink.flush(); await negSink.flush();
    await spill.write(negBuf); negBuf = '';
    await spill.commit();
    if (shuffle) {
      offsets.push(spillBytes);
      const n = offsets.length - 1;
      const order = new Rng(options.seed ?? 42).shuffle(Array.from({ length: n }, (_, i) => i));
      const fd = fs.openSync(spillPath, 'r');
      try {
        let buf = '';
        for (const i of order) {
          const a = offsets[i] as number; const len = (offsets[i + 1] as number) - a;
          const b = Buffer.allocUnsafe(len);
          fs.readSync(fd, b, 0, len, a);
          buf += b.toString('utf8');
          if (buf.length > FLUSH) { await out.write(buf); buf = ''; }
        }
        await out.write(buf);
      } finally { fs.closeSync(fd); }
      offsets = [];
    } else {
      await replayNegatives(posSink, out.tmp, spillPath);
      await posSink.flush();
    }
    await sync.close();
    await out.commit();
    progress.done();
    const st = filter.stats;
    st.rows_out = st.pairs_kept * 2;
    st.invalid += readerInvalid;
    st.rows_in += readerInvalid;
    return st;
  } catch (e) {
    await sync.close(); await out.abort(); await spill.abort();
    throw e;
  } finally {
    fs.rmSync(spillPath, { force: true });
  }
}

async function* readRowsPlain(file: string): AsyncGenerator<Row> {
  for await (const r of readRows(file)) yield r.row;
}

export interface EvalOptions extends AugmentOptions {
  eval_goal?: number;        // condition every eval row on this goal; default: copy the eval rows un-augmented
}

/** Writes the evaluation split: un-augmented (rows as they are) or conditioned on `eval_goal`. Streams. */
export async function writeEvalSplit(input: string, output: string, options: EvalOptions): Promise<number> {
  let n = 0;
  let rl: Relabeler | null = null;
  const onInvalid = options.onInvalid ?? stopOnInvalid;
  async function* rows(): AsyncGenerator<Row> {
    for await (const { row, line, file } of readRows(input, { split: options.split, onInvalid })) {
      n++;
      if (options.eval_goal === undefined) { yield row; continue; }
      rl ??= new Relabeler(relabelOptions(options, checkSchema(options.schema ?? detectSchema(row), file, line, row)));
      try {
        const g = rl.shownGoal(options.eval_goal);
        yield applyOverride(row, rl.condition(row, g, file, line));
      } catch (e) {
        if (!(e instanceof InvalidRowError)) throw e;
        onInvalid(e, row);
      }
    }
  }
  await writeRowsTo(output, { test: rows() }, { title: 'Evaluation split', made: `Evaluation split of ${path.basename(input)}, ${options.eval_goal === undefined ? 'not augmented' : `conditioned on goal ${options.eval_goal}`}.` });
  return n;
}

export function augmentCardText(input: string, o: AugmentOptions, st: AugmentStats): string {
  return [
    `Made by \`radpo augment\` from \`${path.basename(input)}\` (schema ${st.schema}): each scored pair became a positive copy`,
    `(goal = chosen's score) and a negative copy (goal = rejected's score, chosen and rejected swapped), method of`,
    `"Reward-Augmented Data Enhances Direct Preference Alignment of LLMs" (Zhang et al., ICML 2025).`,
    `Placement: ${o.placement ?? 'system'}; order: ${o.order ?? 'reference'}${o.order === 'shuffle' ? ` (seed ${o.seed ?? 42})` : ''};`,
    `fine-grained filter: ${o.fine_grained_filter === false ? 'off' : 'on'}; ties: ${o.ties ?? 'keep'}.`,
    `Rows in ${st.rows_in}, pairs kept ${st.pairs_kept}, rows out ${st.rows_out}; dropped by fine-grained filter ${st.dropped_fine_grained}, ties dropped ${st.dropped_ties}, invalid ${st.invalid}.`,
  ].join('\n');
}


export interface RunAugmentOptions extends EvalOptions {
  eval?: string;             // a separate evaluation file (or split of the input folder, see eval_split)
  eval_split?: string;       // dataset-folder input: the evaluation split to carry over (default test_prefs/test when present)
  eval_output?: string;      // where the eval split goes when OUTPUT is a single file
}

export interface RunAugmentResult { stats: AugmentStats; eval_rows?: number; eval_output?: string }

/**
 * The `radpo augment` job: the training split augmented, the evaluation split (if any) written beside it,
 * un-augmented or conditioned on `eval_goal`. A dataset-folder OUTPUT receives both splits.
 */
export async function runAugment(input: string, output: string, o: RunAugmentOptions): Promise<RunAugmentResult> {
  const inKind = detectContainer(input);
  let evalSource: { file: string; split?: string } | null = null;
  if (o.eval) evalSource = { file: o.eval, split: o.eval_split };
  else if (inKind === 'folder') {
    const { listSplits } = await import('./read.js');
    const splits = listSplits(input);
    const name = o.eval_split ?? ['test_prefs', 'test'].find((s) => splits.has(s));
    if (name !== undefined && splits.has(name) && name !== o.split) evalSource = { file: input, split: name };
    else if (o.eval_split !== undefined) throw new RadpoError('input', `no split "${o.eval_split}"`, { file: input, field: 'eval_split', value: o.eval_split });
  }
  const trainSplit = o.split ?? (inKind === 'folder' ? undefined : undefined);
  if (outputKind(output) === 'folder') {
    const tmp = tempPathFor(`${output}.train.jsonl`);
    const tmpEval = tempPathFor(`${output}.test.jsonl`);
    try {
      const stats = await augmentFile(input, tmp, { ...o, split: trainSplit });
      let evalRows: number | undefined;
      if (evalSource) evalRows = await writeEvalSplit(evalSource.file, tmpEval, { ...o, split: evalSource.split });
      const splits: Record<string, AsyncIterable<Row>> = { train_prefs: readRowsPlain(tmp) };
      if (evalSource) splits.test_prefs = readRowsPlain(tmpEval);
      await writeRowsTo(output, splits, {
        title: 'Reward-augmented preference data',
        made: augmentCardText(input, o, stats) + (evalSource ? `\nThe test_prefs split is ${o.eval_goal === undefined ? 'not augmented' : `conditioned on goal ${o.eval_goal}`}.` : ''),
      });
      return { stats, eval_rows: evalRows, eval_output: evalSource ? output : undefined };
    } finally { fs.rmSync(tmp, { force: true }); fs.rmSync(tmpEval, { force: true }); }
  }
  const stats = await augmentFile(input, output, { ...o, split: trainSplit });
  if (!evalSource) return { stats };
  const evalOut = o.eval_output ?? output.replace(/(\.[a-z]+)$/i, '.eval$1');
  const evalRows = await writeEvalSplit(evalSource.file, evalOut, { ...o, split: evalSource.split });
  return { stats, eval_rows: evalRows, eval_output: evalOut };
}
