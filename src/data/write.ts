// Writers: JSON Lines, Parquet and Hugging Face dataset folders (data/<split>-00000-of-00001.parquet + README card),
// every one atomic (temp file, rename). Not a converter between schemas: rows are written as given.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicWriteStream, writeDirAtomicAsync } from '../util/atomic.js';
import { VERSION } from '../version.js';
import { RadpoError } from '../util/errors.js';
import { writeParquet, type ParquetWritten } from './parquet.js';
import type { Row } from './types.js';

export { writeParquet };

type Rows = Iterable<Row> | AsyncIterable<Row>;

/** Writes rows as JSON Lines, atomically. Returns the row count. */
export async function writeJsonl(target: string, rows: Rows): Promise<number> {
  const out = new AtomicWriteStream(target);
  let n = 0;
  try {
    let buf = '';
    for await (const r of rows as AsyncIterable<Row>) {
      buf += JSON.stringify(r) + '\n';
      n++;
      if (buf.length > 1 << 20) { out.write(buf); buf = ''; }
    }
    out.write(buf);
    out.commit();
    return n;
  } catch (e) { out.abort(); throw e; }
}

/** Writes rows as one JSON array, atomically (for small files; prefer JSONL). */
export async function writeJsonArray(target: string, rows: Rows): Promise<number> {
  const out = new AtomicWriteStream(target);
  let n = 0;
  try {
    out.write('[');
    for await (const r of rows as AsyncIterable<Row>) out.write(`${n++ ? ',' : ''}\n${JSON.stringify(r)}`);
    out.write('\n]\n');
    out.commit();
    return n;
  } catch (e) { out.abort(); throw e; }
}

export interface DatasetCard {
  title?: string;
  made?: string;          // how the data was made (free text)
  license?: string;
  source?: string;
}

export interface SplitInfo { name: string; rows: number; columns: { name: string; type: string }[]; file: string }

/**
 * Writes a Hugging Face dataset folder atomically: data/<split>-00000-of-00001.parquet per split and a README.md
 * dataset card (YAML header with configs/features/splits, then splits, columns and how the data was made).
 */
export async function writeDatasetFolder(dir: string, splits: Record<string, Rows>, card: DatasetCard = {}): Promise<SplitInfo[]> {
  const infos: SplitInfo[] = [];
  await writeDirAtomicAsync(dir, async (tmp) => {
    fs.mkdirSync(path.join(tmp, 'data'));
    for (const [name, rows] of Object.entries(splits)) {
      const file = `data/${name}-00000-of-00001.parquet`;
      const w: ParquetWritten = await writeParquet(path.join(tmp, file), rows);
      infos.push({ name, rows: w.rows, columns: w.columns, file });
    }
    fs.writeFileSync(path.join(tmp, 'README.md'), datasetCard(infos, card));
  });
  return infos;
}

const HF_DTYPE: Record<string, string> = { string: 'string', double: 'float64', int: 'int64', bool: 'bool', json: 'string', null: 'string' };

function featureYaml(type: string, indent: string): string[] {
  if (HF_DTYPE[type]) return [`${indent}dtype: ${HF_DTYPE[type]}`];
  const list = /^list<(.*)>$/.exec(type);
  if (list) {
    const inner = list[1] as string;
    if (HF_DTYPE[inner]) return [`${indent}sequence: ${HF_DTYPE[inner]}`];
    return [`${indent}list:`, ...featureYaml(inner, `${indent}  `)];
  }
  const st = /^struct<(.*)>$/.exec(type);
  if (st) {
    const out: string[] = [];
    for (const [k, t] of splitTopLevel(st[1] as string)) out.push(`${indent}- name: ${k}`, ...featureYaml(t, `${indent}  `));
    return out;
  }
  return [`${indent}dtype: string`];
}

function splitTopLevel(s: string): [string, string][] {
  const out: [string, string][] = [];
  let depth = 0; let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = s[i];
    if (c === '<') depth++; else if (c === '>') depth--;
    if ((c === ',' && depth === 0) || i === s.length) {
      const part = s.slice(start, i).trim();
      const colon = part.indexOf(':');
      if (colon > 0) out.push([part.slice(0, colon).trim(), part.slice(colon + 1).trim()]);
      start = i + 1;
    }
  }
  return out;
}

export function datasetCard(infos: SplitInfo[], card: DatasetCard): string {
  const first = infos.find((i) => i.columns.length > 0);
  const y: string[] = ['---'];
  if (card.license) y.push(`license: ${card.license}`);
  y.push('configs:', '- config_name: default', '  data_files:');
  for (const i of infos) y.push(`  - split: ${i.name}`, `    path: data/${i.name}-*`);
  y.push('dataset_info:', '  features:');
  for (const c of first?.columns ?? []) y.push(`  - name: ${c.name}`, ...featureYaml(c.type, '    '));
  y.push('  splits:');
  for (const i of infos) y.push(`  - name: ${i.name}`, `    num_examples: ${i.rows}`);
  y.push('---', '');
  const md = [`# ${card.title ?? 'Dataset'}`, ''];
  md.push('| split | rows | file |', '| --- | --- | --- |');
  for (const i of infos) md.push(`| ${i.name} | ${i.rows} | \`${i.file}\` |`);
  md.push('', '## Columns', '');
  for (const i of infos) md.push(`- **${i.name}**: ${i.columns.map((c) => `\`${c.name}\` (${c.type})`).join(', ') || '(no rows)'}`);
  md.push('', '## How it was made', '', card.made ?? 'Written by radpo.', '');
  if (card.source) md.push(`Source: ${card.source}`, '');
  md.push(`Written by radpo ${VERSION}.`, '');
  return y.join('\n') + md.join('\n');
}

export type OutputKind = 'jsonl' | 'json' | 'parquet' | 'folder';

/** What OUTPUT's name asks for: .jsonl, .json, .parquet, anything else a dataset folder. */
export function outputKind(target: string): OutputKind {
  if (/\.gz$/i.test(target)) throw new RadpoError('usage', 'gzip output is not supported; write .jsonl (or .parquet, which is compressed)', { file: target });
  if (/\.(jsonl|ndjson)$/i.test(target)) return 'jsonl';
  if (/\.json$/i.test(target)) return 'json';
  if (/\.parquet$/i.test(target)) return 'parquet';
  if (/\.(tmp|neg)$/i.test(target)) return 'jsonl';
  return 'folder';
}

/** Writes one or more splits to `target`: a folder gets them all; a single file takes exactly one split. */
export async function writeRowsTo(target: string, splits: Record<string, Rows>, card: DatasetCard = {}): Promise<void> {
  const kind = outputKind(target);
  if (kind === 'folder') { await writeDatasetFolder(target, splits, card); return; }
  const entries = Object.values(splits);
  if (entries.length !== 1) throw new Error(`writeRowsTo: a ${kind} file holds one split, got ${entries.length}`);
  const rows = entries[0] as Rows;
  if (kind === 'jsonl') await writeJsonl(target, rows);
  else if (kind === 'json') await writeJsonArray(target, rows);
  else await writeParquet(target, rows);
}

