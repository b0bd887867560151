// Reading preference data for relabeling and scoring: preference pairs of any pair schema, or multi-response rows
// (UltraFeedback raw, HelpSteer2). Not the relabeling rule (data/relabel*.ts) nor a writer (data/write.ts).

import { readRows } from '../data/read.js';
import { detectSchema, toPreferencePair, PAIR_SCHEMAS, type FieldMap, type SchemaName } from '../data/schema.js';
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
  | { kind: 'multi'; schema: MultiSchema; rows: Row[]; lines: number[] };

const MULTI: ReadonlySet<string> = new Set<MultiSchema>(['ultrafeedback-raw', 'helpsteer2']);

/** Reads `file` as preference pairs (any pair schema) or multi-response rows (UltraFeedback raw, HelpSteer2). */
export async function readRelabelInput(file: string, opts: ReadInputOptions = {}): Promise<RelabelInput> {
  let schema: SchemaName | null = opts.schema ?? null;
  const pairs: PreferencePair[] = [];
  const raw: Row[] = [];
  const lines: number[] = [];
  for await (const { row, line, file: f } of readRows(file, { split: opts.split })) {
    if (schema === null) {
      schema = detectSchema(row);
      if (schema === null) throw new RadpoError('input', 'cannot tell the schema of the first row; pass --schema (and --field_map for custom fields)', { file: f, line, value: Object.keys(row) });
    }
    if (MULTI.has(schema)) { raw.push(row); lines.push(line); }
    else if (PAIR_SCHEMAS.has(schema)) pairs.push(toPreferencePair(row, { schema, fieldMap: opts.field_map, file: f, line }));
    else throw new RadpoError('input', `schema ${schema} has no responses to relabel (expected preference pairs, UltraFeedback raw or HelpSteer2 rows)`, { file: f, line });
    if (opts.limit && pairs.length + raw.length >= opts.limit) break;
  }
  if (schema === null) throw new RadpoError('input', 'no rows', { file });
  return MULTI.has(schema) ? { kind: 'multi', schema: schema as MultiSchema, rows: raw, lines } : { kind: 'pairs', schema, pairs };
}
