// Reading preference data for relabeling and scoring: preference pairs of any pair schema, or multi-response rows
// (UltraFeedback raw, HelpSteer2). Not the relabeling rule (data/relabel*.ts) nor a writer (data/write.ts).

import { readRows } from '../data/read.js';
import { readPreferencePairs } from '../data/pairs.js';
import { detectSchema, PAIR_SCHEMAS, type FieldMap, type SchemaName } from '../data/schema.js';
import type { PreferencePair, Row } from '../data/types.js';
import type { MultiSchema } from '../data/relabel_multi.js';
import { RadpoError } from '../util/errors.js';

export interface ReadInputOptions {
  split?: string;
  schema?: SchemaName;
  field_map?: FieldMap;
  /** Read at most this many rows (0 = all). */
  limit?: number;
}

export type RelabelInput =
  | { kind: 'pairs'; schema: SchemaName; pairs: PreferencePair[] }
  | { kind: 'multi'; schema: MultiSchema; rows: Row[]; where: { file: string; line: number }[] };

const MULTI: ReadonlySet<string> = new Set<MultiSchema>(['ultrafeedback-raw', 'helpsteer2']);

/** Reads `file` as preference pairs (any pair schema) or multi-response rows (UltraFeedback raw, HelpSteer2). */
export async function readRelabelInput(file: string, opts: ReadInputOptions = {}): Promise<RelabelInput> {
  let schema: SchemaName | null = opts.schema ?? null;
  if (schema === null) {
    for await (const { row, line, file: f } of readRows(file, { split: opts.split })) {
      schema = detectSchema(row);
      if (schema === null) throw new RadpoError('input', 'cannot tell the schema of the first row; pass --schema (and --field_map for custom fields)', { file: f, line, value: Object.keys(row) });
      break;
    }
    if (schema === null) throw new RadpoError('input', 'no rows', { file });
  }
  const limit = opts.limit || Infinity;
  if (MULTI.has(schema)) {
    const rows: Row[] = [];
    const where: { file: string; line: number }[] = [];
    for await (const { row, line, file: f } of readRows(file, { split: opts.split })) {
      if (rows.length >= limit) break;
      rows.push(row); where.push({ file: f, line });
    }
    return { kind: 'multi', schema: schema as MultiSchema, rows, where };
  }
  if (!PAIR_SCHEMAS.has(schema)) throw new RadpoError('input', `schema ${schema} has no responses to relabel (expected preference pairs, UltraFeedback raw or HelpSteer2 rows)`, { file });
  const pairs: PreferencePair[] = [];
  for await (const p of readPreferencePairs(file, { split: opts.split, schema, fieldMap: opts.field_map })) {
    if (pairs.length >= limit) break;
    pairs.push(p);
  }
  return { kind: 'pairs', schema, pairs };
}
