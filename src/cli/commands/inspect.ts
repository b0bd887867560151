// `radpo inspect FILE`: schema, row counts, score histograms, tie rate, lengths and invalid rows as a terminal summary.
// Thin shell over inspectDataset (src/data/inspect.ts); --json prints the same report as JSON.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { inspectDataset, formatInspect } from '../../data/inspect.js';
import { parseFieldMap } from '../../data/fields.js';
import { SCHEMAS, type SchemaName } from '../../data/schema.js';

export const INSPECT_OPTIONS = {
  split: { type: 'string', help: 'dataset folder: only this split (default: all)' },
  schema: { type: 'string', choices: SCHEMAS, help: 'schema (default: detected from the first row)' },
  field_map: { type: 'string[]', help: 'NAME=dotted.path, e.g. score_chosen=metadata.score_chosen' },
  json: { type: 'boolean', default: false, help: 'print the report as JSON' },
} as const satisfies OptionTable;

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'summarise a dataset: schema, counts, score histograms, ties, lengths, invalid rows',
  async run(argv) {
    const parsed = parseCommand({ usage: 'radpo inspect FILE [options]', description: 'Reads FILE (JSONL, gzip JSONL, JSON array, Parquet, dataset folder) and prints what it holds.', options: INSPECT_OPTIONS, positionals: { min: 1, max: 1 } }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const r = await inspectDataset(parsed.positionals[0] as string, { split: o.split, schema: o.schema as SchemaName | undefined, fieldMap: parseFieldMap(o.field_map) });
    process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : formatInspect(r));
    return 0;
  },
};
