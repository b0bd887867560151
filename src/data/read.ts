// Container readers: JSON Lines (plain or gzip), JSON arrays, Parquet files and Hugging Face dataset folders
// (data/<split>-NNNNN-of-NNNNN.parquet), streamed row by row. Not schema-aware: see schema.ts for what rows mean.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import { RadpoError } from '../util/errors.js';
import { InvalidRowError, stopOnInvalid, type InvalidHandler } from './invalid.js';
import { readParquetRows, parquetRowCount } from './parquet.js';
import type { LocatedRow, Row } from './types.js';

export type Container = 'jsonl' | 'json' | 'parquet' | 'folder';

export interface ReadRowsOptions {
  split?: string;                 // for dataset folders: which split (default: the only one, else train_prefs/train)
  onInvalid?: InvalidHandler;     // default: throw at the first malformed line
  onBytes?: (bytesRead: number) => void; // progress hook (JSONL only)
  text?: boolean;                 // JSONL: also give each row's line as parsed (`text`, and `bytes`), for writers that reuse it
}

/**
 * A row with the text it was parsed from and that text's UTF-8 bytes (JSON Lines read with `text: true`; absent for
 * other containers). `bytes` is a view of the reader's buffer: valid until the next row is requested.
 */
export interface TextRow extends LocatedRow { text?: string; bytes?: Buffer }

/** What kind of container `file` is, from the file system and its first bytes. */
export function detectContainer(file: string): Container {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch {
    throw new RadpoError('io', 'input not found', { file });
  }
  if (st.isDirectory()) return 'folder';
  if (/\.parquet$/i.test(file)) return 'parquet';
  const head = readHead(file, 64);
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'jsonl';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) return 'json';
  return 'jsonl';
}

function readHead(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = fs.readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally { fs.closeSync(fd); }
}

// ---------------------------------------------------------------- dataset folders

const SHARD = /^(.+?)-(\d{5})-of-(\d{5})\.(parquet|jsonl|jsonl\.gz|json)$/;
const PLAIN = /^(.+?)\.(parquet|jsonl|jsonl\.gz|json)$/;

/** The splits of a dataset folder and their files (shards in order), from `data/` or the folder itself. */
export function listSplits(dir: string): Map<string, string[]> {
  const splits = new Map<string, string[]>();
  for (const sub of [path.join(dir, 'data'), dir]) {
    if (!fs.existsSync(sub) || !fs.statSync(sub).isDirectory()) continue;
    for (const name of fs.readdirSync(sub).sort()) {
      const m = SHARD.exec(name) ?? PLAIN.exec(name);
      if (!m || name.startsWith('.')) continue;
      const split = m[1] as string;
      if (!splits.has(split)) splits.set(split, []);
      splits.get(split)!.push(path.join(sub, name));
    }
    if (splits.size > 0) break;
  }
  return splits;
}

/** Picks the split to read: the requested one, else the only one, else train_prefs / train. */
export function chooseSplit(dir: string, splits: Map<string, string[]>, split?: string): string {
  if (splits.size === 0) throw new RadpoError('input', 'no data files found (expected data/<split>-NNNNN-of-NNNNN.parquet)', { file: dir });
  if (split !== undefined) {
    if (!splits.has(split)) throw new RadpoError('input', `no split "${split}"; splits: ${[...splits.keys()].join(', ')}`, { file: dir, field: 'split', value: split });
    return split;
  }
  if (splits.size === 1) return [...splits.keys()][0] as string;
  for (const s of ['train_prefs', 'train']) if (splits.has(s)) return s;
  throw new RadpoError('usage', `several splits (${[...splits.keys()].join(', ')}); choose one with --split`, { file: dir });
}

// ---------------------------------------------------------------- rows

/** Streams the rows of any supported container, each with its file and 1-based line (or row) number. */
export async function* readRows(file: string, opts: ReadRowsOptions = {}): AsyncGenerator<TextRow> {
  const kind = detectContainer(file);
  if (kind === 'folder') {
    const splits = listSplits(file);
    const split = chooseSplit(file, splits, opts.split);
    for (const f of splits.get(split) as string[]) {
      for await (const r of readRows(f, { ...opts, split: undefined })) yield { ...r, split };
    }
    return;
  }
  if (kind === 'parquet') {
    let line = 0;
    for await (const row of readParquetRows(file)) yield { row, line: ++line, file };
    return;
  }
  if (kind === 'json') { yield* readJsonArray(file, opts.onInvalid ?? stopOnInvalid); return; }
  yield* readJsonl(file, opts);
}

/** Number of rows, cheaply where the container allows (Parquet metadata; JSONL counts newlines). */
export async function countRows(file: string, split?: string): Promise<number> {
  const kind = detectContainer(file);
  if (kind === 'folder') {
    const splits = listSplits(file);
    let n = 0;
    for (const f of splits.get(chooseSplit(file, splits, split)) as string[]) n += await countRows(f);
    return n;
  }
  if (kind === 'parquet') return parquetRowCount(file);
  let n = 0;
  for await (const _ of readRows(file, { onInvalid: () => undefined })) n++;
  return n;
}

async function* readJsonArray(file: string, onInvalid: InvalidHandler): AsyncGenerator<LocatedRow> {
  const buf = fs.readFileSync(file);
  if (!isUtf8(buf)) {
    throw new InvalidRowError('invalid_utf8', 'file is not valid UTF-8', { file });
  }
  let doc: unknown;
  try { doc = JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, '')); } catch (e) {
    throw new InvalidRowError('malformed_json', `not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(doc)) throw new RadpoError('input', 'expected a JSON array of objects', { file });
  for (let i = 0; i < doc.length; i++) {
    const row = doc[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      onInvalid(new InvalidRowError('not_an_object', 'row is not a JSON object', { file, line: i + 1, value: row }), row);
      continue;
    }
    yield { row: row as Row, line: i + 1, file };
  }
}

/**
 * JSON Lines, plain or gzip, streamed in 1 MiB chunks. Blank lines are skipped (but counted). A line that fails
 * JSON.parse only because of Python's NaN / Infinity tokens is parsed with them as numbers, so the score check can
 * name the value; anything else malformed is reported with its line.
 */
async function* readJsonl(file: string, opts: ReadRowsOptions): AsyncGenerator<TextRow> {
  const onInvalid = opts.onInvalid ?? stopOnInvalid;
  const gz = readHead(file, 2);
  let stream: NodeJS.ReadableStream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (gz[0] === 0x1f && gz[1] === 0x8b) stream = (stream as fs.ReadStream).pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
  let carry: Buffer | null = null;
  let line = 0;
  let bytes = 0;
  const keepText = opts.text === true;
  const parseOne = (text0: string, lineNo: number, bytes0?: Buffer): TextRow | null => {
    const bom = lineNo === 1 && text0.charCodeAt(0) === 0xfeff;
    const text = bom ? text0.slice(1) : text0; // UTF-8 byte order mark
    if (text.length === 0 || (text.charCodeAt(text.length - 1) === 13 ? text.trim() === '' : /^\s*$/.test(text))) return null;
    let row: unknown;
    try { row = JSON.parse(text); } catch (e) {
      row = parsePythonJson(text);
      if (row === undefined) {
        onInvalid(new InvalidRowError('malformed_json', `not valid JSON: ${(e as Error).message}`, { file, line: lineNo, value: text }), text);
        return null;
      }
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      onInvalid(new InvalidRowError('not_an_object', 'line is not a JSON object', { file, line: lineNo, value: row }), text);
      return null;
    }
    return keepText ? { row: row as Row, line: lineNo, file, text, bytes: bom ? bytes0?.subarray(3) : bytes0 } : { row: row as Row, line: lineNo, file };
  };
  const lineFromBytes = (b: Buffer, lineNo: number): TextRow | null => {
    if (!isUtf8(b)) {
      const bad = firstInvalidUtf8(b);
      onInvalid(new InvalidRowError('invalid_utf8', `invalid UTF-8 at byte ${bad} of the line`, { file, line: lineNo, value: b.subarray(Math.max(0, bad - 8), bad + 8).toString('hex') }), b.toString('latin1'));
      return null;
    }
    return parseOne(b.toString('utf8'), lineNo, b);
  };
  const chunks = async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const c of stream as AsyncIterable<Buffer>) yield c;
    } catch (e) {
      throw new RadpoError('input', `cannot read: ${(e as Error).message}`, { file, line: line + 1 });
    }
  };
  for await (const chunk0 of chunks()) {
    bytes += chunk0.length;
    const chunk: Buffer = carry ? Buffer.concat([carry, chunk0]) : chunk0;
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) { carry = chunk; continue; }
    const whole = chunk.subarray(0, lastNl);
    carry = lastNl + 1 < chunk.length ? Buffer.from(chunk.subarray(lastNl + 1)) : null;
    if (isUtf8(whole)) {
      // Fast path: the whole block is valid UTF-8, decode once and split.
      const str = whole.toString('utf8');
      const lines = str.split('\n');
      if (!keepText) {
        for (const text of lines) {
          const r = parseOne(text, ++line);
          if (r) yield r;
        }
      } else {
        const ascii = str.length === whole.length;   // no multi-byte characters: a line's bytes are as long as its text
        let off = 0;
        for (const text of lines) {
          let end = off + text.length;
          if (!ascii) { end = whole.indexOf(10, off); if (end < 0) end = whole.length; }
          const r = parseOne(text, ++line, whole.subarray(off, end));
          if (r) yield r;
          off = end + 1;
        }
      }
    } else {
      let start = 0;
      while (start <= whole.length) {
        let nl = whole.indexOf(10, start);
        if (nl < 0) nl = whole.length;
        const r = lineFromBytes(whole.subarray(start, nl), ++line);
        if (r) yield r;
        start = nl + 1;
      }
    }
    opts.onBytes?.(bytes);
  }
  if (carry && carry.length > 0) {
    const r = lineFromBytes(carry, ++line);
    if (r) yield r;
  }
}

function firstInvalidUtf8(b: Buffer): number {
  let lo = 0; let hi = b.length;
  // Smallest prefix length that is invalid (prefixes ending mid-character are invalid too, so step back to a boundary).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isUtf8(b.subarray(0, mid + 1))) lo = mid + 1; else hi = mid;
  }
  return lo;
}

const PY_SENTINEL = '\u0000radpo-nonfinite:';

/** Parses a JSON line that uses Python's bare NaN / Infinity / -Infinity tokens; undefined if still invalid. */
export function parsePythonJson(text: string): unknown {
  if (!/NaN|Infinity/.test(text)) return undefined;
  let out = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inStr) {
      out += c;
      if (c === '\\') { out += text[++i] ?? ''; } else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') { inStr = true; out += c; continue; }
    const rest = text.startsWith('-Infinity', i) ? '-Infinity' : text.startsWith('Infinity', i) ? 'Infinity' : text.startsWith('NaN', i) ? 'NaN' : null;
    if (rest) { out += JSON.stringify(PY_SENTINEL + rest); i += rest.length - 1; continue; }
    out += c;
  }
  try {
    return JSON.parse(out, (_k, v) => (typeof v === 'string' && v.startsWith(PY_SENTINEL) ? Number(v.slice(PY_SENTINEL.length)) : v));
  } catch { return undefined; }
}
