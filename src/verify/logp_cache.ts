// On-disk cache of completion log-probabilities, one append-only JSONL file per model, keyed by row content, so an
// interrupted scoring run resumes without recomputing finished rows. Not atomic by design: see `LogpCache.open`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { RadpoError } from '../util/errors.js';

/** Log-probability of one completion: sum over completion tokens, and how many tokens were counted. */
export interface LogpEntry {
  logp: number;
  n: number;
}

/** sha256 hex of a JSON value (stable for the plain strings, numbers, arrays and objects scoring rows hold). */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * Content hash of a Hugging Face model folder: config, tokenizer files and every weights file (name + bytes),
 * so any change of weights or tokenization gives a new cache file. Streams the files; a 1 GB model takes seconds.
 */
export function hashModelDir(dir: string): string {
  let names: string[];
  try { names = fs.readdirSync(dir).sort(); } catch (e) {
    throw new RadpoError('io', `cannot read model folder: ${(e as Error).message}`, { file: dir });
  }
  const keep = names.filter((n) => /^(config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|.*\.safetensors|model\.safetensors\.index\.json)$/.test(n));
  if (keep.length === 0) throw new RadpoError('model', 'no config.json / *.safetensors in model folder', { file: dir });
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 22);
  for (const name of keep) {
    h.update(`${name}\0`);
    const fd = fs.openSync(path.join(dir, name), 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally { fs.closeSync(fd); }
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * One model's cache: `<dir>/logps-<modelKey[0:32]>.jsonl`, lines `{"k": rowKey, "logp": sum, "n": tokens}`.
 * Entries are appended and fsynced after each batch. A kill can leave at most a partial last line; `open`
 * truncates it away. A malformed line elsewhere means the file was edited or corrupted and is an error.
 */
export class LogpCache {
  readonly file: string;
  private readonly map = new Map<string, LogpEntry>();

  private constructor(file: string) { this.file = file; }

  static open(dir: string, modelKey: string): LogpCache {
    fs.mkdirSync(dir, { recursive: true });
    const cache = new LogpCache(path.join(dir, `logps-${modelKey.slice(0, 32)}.jsonl`));
    if (!fs.existsSync(cache.file)) return cache;
    let text = fs.readFileSync(cache.file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      fs.truncateSync(cache.file, Buffer.byteLength(text.slice(0, end)));
      text = text.slice(0, end);
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line === '') continue;
      let e: { k?: unknown; logp?: unknown; n?: unknown };
      try { e = JSON.parse(line); } catch {
        throw new RadpoError('io', 'corrupt cache line (delete the file to rebuild the cache)', { file: cache.file, line: i + 1, value: line });
      }
      if (typeof e.k !== 'string' || typeof e.logp !== 'number' || typeof e.n !== 'number') {
        throw new RadpoError('io', 'cache line lacks k/logp/n (delete the file to rebuild the cache)', { file: cache.file, line: i + 1, value: line });
      }
      cache.map.set(e.k, { logp: e.logp, n: e.n });
    }
    return cache;
  }

  get size(): number { return this.map.size; }
  get(key: string): LogpEntry | undefined { return this.map.get(key); }

  /** Appends entries and fsyncs, so they survive a kill right after this returns. */
  putMany(entries: readonly (readonly [string, LogpEntry])[]): void {
    if (entries.length === 0) return;
    const text = entries.map(([k, e]) => JSON.stringify({ k, logp: e.logp, n: e.n })).join('\n') + '\n';
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally { fs.closeSync(fd); }
    for (const [k, e] of entries) this.map.set(k, e);
  }
}

export interface CachedScoreStats {
  /** Unique rows computed by the model in this call. */
  computed: number;
  /** Unique rows found in the cache. */
  cached: number;
}

/**
 * Scores `keys.length` rows through `compute`, in batches of `batchSize` unique uncached rows, reusing and
 * extending `cache` (null: no cache). Rows with the same key are computed once. With `sizeOf`, uncached rows go
 * longest first so each batch holds rows of similar length (less padding). `onBatch` reports progress.
 */
export async function scoreCached<R>(
  rows: readonly R[],
  keys: readonly string[],
  cache: LogpCache | null,
  batchSize: number,
  compute: (batch: R[]) => Promise<LogpEntry[]>,
  onBatch?: (done: number, total: number) => void,
  sizeOf?: (row: R) => number,
): Promise<{ entries: LogpEntry[]; stats: CachedScoreStats }> {
  if (rows.length !== keys.length) throw new Error(`scoreCached: ${rows.length} rows but ${keys.length} keys`);
  const found = new Map<string, LogpEntry>();
  const todo: number[] = [];
  const seen = new Set<string>();
  let cached = 0;
  keys.forEach((k, i) => {
    if (seen.has(k)) return;
    seen.add(k);
    const hit = cache?.get(k);
    if (hit) { found.set(k, hit); cached++; } else todo.push(i);
  });
  if (sizeOf) {
    const sz = new Map(todo.map((i) => [i, sizeOf(rows[i] as R)]));
    todo.sort((a, b) => (sz.get(b) as number) - (sz.get(a) as number) || a - b);
  }
  const size = Math.max(1, batchSize);
  for (let s = 0; s < todo.length; s += size) {
    const idx = todo.slice(s, s + size);
    const out = await compute(idx.map((i) => rows[i] as R));
    if (out.length !== idx.length) throw new Error(`scoreCached: compute returned ${out.length} entries for ${idx.length} rows`);
    const batch = idx.map((i, j) => [keys[i] as string, out[j] as LogpEntry] as const);
    cache?.putMany(batch);
    for (const [k, e] of batch) found.set(k, e);
    onBatch?.(Math.min(s + size, todo.length), todo.length);
  }
  return { entries: keys.map((k) => found.get(k) as LogpEntry), stats: { computed: todo.length, cached } };
}
