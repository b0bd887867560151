// Parquet rows in and out: reads row group by row group (hyparquet + hyparquet-compressors) and writes rows with a
// schema inferred from the values, nested message lists as list<struct<...>> like Hugging Face datasets. Not a query engine.

import * as fs from 'node:fs';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ParquetWriter, fileWriter, type SchemaElement } from 'hyparquet-writer';
import { tempPathFor } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import type { Row } from './types.js';

// ---------------------------------------------------------------- reading

/** Yields the rows of one Parquet file in order, one row group in memory at a time. INT64 becomes number. */
export async function* readParquetRows(file: string): AsyncGenerator<Row> {
  let buf; let metadata: FileMetaData;
  try {
    buf = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buf);
  } catch (e) {
    throw new RadpoError('input', `not a readable Parquet file: ${(e as Error).message}`, { file });
  }
  let start = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    const rows = await parquetReadObjects({ file: buf, metadata, compressors, rowStart: start, rowEnd: start + n });
    start += n;
    for (const r of rows) yield fromParquetValue(r) as Row;
  }
}

export async function parquetRowCount(file: string): Promise<number> {
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return Number(meta.num_rows);
}

function fromParquetValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(fromParquetValue);
  if (v instanceof Uint8Array || v instanceof Date || v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = fromParquetValue(x);
  return out;
}

// ---------------------------------------------------------------- schema inference

/** A column's value type, inferred from data. `json` stores anything irregular as a JSON string. */
export type PType =
  | { kind: 'null' } | { kind: 'string' } | { kind: 'double' } | { kind: 'int' } | { kind: 'bool' } | { kind: 'json' }
  | { kind: 'list'; item: PType } | { kind: 'struct'; fields: Map<string, PType> };

const NULL: PType = { kind: 'null' };

export function inferType(v: unknown): PType {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'string') return { kind: 'string' };
  if (typeof v === 'boolean') return { kind: 'bool' };
  // Every JS number is written as DOUBLE: a column typed INT64 from its first rows would reject a later 7.5.
  if (typeof v === 'number') return Number.isFinite(v) ? { kind: 'double' } : { kind: 'json' };
  if (typeof v === 'bigint') return { kind: 'int' };
  if (Array.isArray(v)) {
    let item: PType = NULL;
    for (const x of v) item = mergeType(item, inferType(x));
    return { kind: 'list', item };
  }
  if (typeof v === 'object') {
    const fields = new Map<string, PType>();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) fields.set(k, inferType(x));
    if (fields.size === 0) return { kind: 'json' };
    return { kind: 'struct', fields };
  }
  return { kind: 'json' };
}

export function mergeType(a: PType, b: PType): PType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'json' || b.kind === 'json') return { kind: 'json' };
  if (a.kind === b.kind) {
    if (a.kind === 'list' && b.kind === 'list') return { kind: 'list', item: mergeType(a.item, b.item) };
    if (a.kind === 'struct' && b.kind === 'struct') {
      const fields = new Map(a.fields);
      for (const [k, t] of b.fields) fields.set(k, fields.has(k) ? mergeType(fields.get(k) as PType, t) : t);
      return { kind: 'struct', fields };
    }
    return a;
  }
  if ((a.kind === 'int' && b.kind === 'double') || (a.kind === 'double' && b.kind === 'int')) return { kind: 'double' };
  return { kind: 'json' };
}

function schemaFor(name: string, t: PType, out: SchemaElement[]): void {
  const rep = 'OPTIONAL' as const;
  switch (t.kind) {
    case 'null': case 'string': out.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: rep }); break;
    case 'json': out.push({ name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: rep }); break;
    case 'double': out.push({ name, type: 'DOUBLE', repetition_type: rep }); break;
    case 'int': out.push({ name, type: 'INT64', repetition_type: rep }); break;
    case 'bool': out.push({ name, type: 'BOOLEAN', repetition_type: rep }); break;
    case 'list':
      out.push({ name, repetition_type: rep, converted_type: 'LIST', num_children: 1 });
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      schemaFor('element', t.item, out);
      break;
    case 'struct':
      out.push({ name, repetition_type: rep, num_children: t.fields.size });
      for (const [k, ft] of t.fields) schemaFor(k, ft, out);
      break;
  }
}

/** Converts a JS value to what the writer expects for type `t` (ints as bigint, missing struct fields as null). */
function toParquetValue(v: unknown, t: PType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'int': return v;
    case 'json': return v;
    case 'null': return null;
    case 'list': return (v as unknown[]).map((x) => toParquetValue(x, t.item));
    case 'struct': {
      const o: Record<string, unknown> = {};
      for (const [k, ft] of t.fields) o[k] = toParquetValue((v as Record<string, unknown>)[k], ft);
      return o;
    }
    default: return v;
  }
}

// ---------------------------------------------------------------- writing

export interface ParquetWritten { rows: number; columns: { name: string; type: string }[] }

export interface ParquetWriteOpts {
  rowGroupSize?: number;   // rows per row group (default 2000)
  columns?: string[];      // column order (default: keys in first-seen order over the inference sample)
}

/**
 * Writes rows (array, iterable or async iterable) to a Parquet file atomically. The schema is inferred from the
 * first row group (up to `rowGroupSize` rows); later rows must fit it (a mismatch is an error naming the column).
 */
export async function writeParquet(target: string, rows: Iterable<Row> | AsyncIterable<Row>, opts: ParquetWriteOpts = {}): Promise<ParquetWritten> {
  const groupSize = opts.rowGroupSize ?? 2000;
  const tmp = tempPathFor(target);
  fs.mkdirSync(require_dirname(target), { recursive: true });
  let pw: ParquetWriter | null = null;
  let names: string[] = [];
  let types = new Map<string, PType>();
  let batch: Row[] = [];
  let written = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    if (!pw) {
      const seen = new Set<string>(opts.columns ?? []);
      if (!opts.columns) for (const r of batch) for (const k of Object.keys(r)) seen.add(k);
      names = [...seen];
      types = new Map(names.map((n) => [n, NULL]));
      for (const r of batch) for (const n of names) types.set(n, mergeType(types.get(n) as PType, inferType(r[n])));
      const schema: SchemaElement[] = [{ name: 'root', num_children: names.length }];
      for (const n of names) schemaFor(n, types.get(n) as PType, schema);
      pw = new ParquetWriter({ writer: fileWriter(tmp), schema, compressors: {}, codec: 'SNAPPY', createdBy: 'radpo' });
    }
    const columnData = names.map((n) => {
      const t = types.get(n) as PType;
      return { name: n, data: batch.map((r, i) => checked(r[n], t, n, written + i)) };
    });
    pw.write({ columnData, rowGroupSize: batch.length });
    written += batch.length;
    batch = [];
  };
  try {
    for await (const r of rows as AsyncIterable<Row>) {
      batch.push(r);
      if (batch.length >= groupSize) flush();
    }
    flush();
    if (!pw) {
      // No rows: an empty file with the requested columns typed as strings.
      const cols = opts.columns ?? [];
      const schema: SchemaElement[] = [{ name: 'root', num_children: cols.length }];
      for (const c of cols) schemaFor(c, NULL, schema);
      pw = new ParquetWriter({ writer: fileWriter(tmp), schema, createdBy: 'radpo' });
    }
    (pw as ParquetWriter).finish();
    fs.renameSync(tmp, target);
    return { rows: written, columns: names.map((n) => ({ name: n, type: describe(types.get(n) as PType) })) };
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch { /* not created */ }
    throw e;
  }
}

function checked(v: unknown, t: PType, column: string, rowIndex: number): unknown {
  const vt = inferType(v);
  const merged = mergeType(t, vt);
  if (!sameShape(merged, t)) {
    throw new RadpoError('input', `Parquet column type was inferred from the first rows as ${describe(t)}; this row has ${describe(vt)} (write JSONL, or make the column uniform)`, { line: rowIndex + 1, field: column, value: v });
  }
  return toParquetValue(v, t);
}

function sameShape(a: PType, b: PType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'list' && b.kind === 'list') return sameShape(a.item, b.item) || b.item.kind === 'json';
  if (a.kind === 'struct' && b.kind === 'struct') {
    if (a.fields.size !== b.fields.size) return false;
    for (const [k, t] of a.fields) { const u = b.fields.get(k); if (!u || !sameShape(t, u)) return false; }
  }
  return true;
}

export function describe(t: PType): string {
  if (t.kind === 'list') return `list<${describe(t.item)}>`;
  if (t.kind === 'struct') return `struct<${[...t.fields].map(([k, f]) => `${k}: ${describe(f)}`).join(', ')}>`;
  return t.kind;
}

function require_dirname(p: string): string { return p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.'; }
