// Splice path of the pair writer: when a row's line is canonical JSON (see jsonl_spans.ts), each copy is the line's
// own bytes with a few values replaced (goal messages, swapped sides, the goal column). Not the general path.

import { anyJson, isPrefixed, keyJson, prefixJson, type Override } from './augment_row.js';
import type { Row } from './types.js';

/**
 * The top-level fields of a canonical line, in order: value i is text[at[i], end[i]), its key text just before;
 * in the line's UTF-8 bytes, bytes[bAt[i], bEnd[i]) (see byteOffsets). Entries at n and beyond are stale (reused arrays).
 */
export class LineFields {
  n = 0;
  readonly keys: string[] = []; readonly vals: unknown[] = []; readonly at: number[] = []; readonly end: number[] = [];
  readonly bAt: number[] = []; readonly bEnd: number[] = [];
  reset(): void { this.n = 0; }
  add(k: string, v: unknown, a: number, b: number): void {
    const i = this.n++;
    this.keys[i] = k; this.vals[i] = v; this.at[i] = a; this.end[i] = b;
  }
  /** Index of the field whose value is `v` (the same object), or -1. */
  indexOf(v: unknown): number {
    for (let i = 0; i < this.n; i++) if (this.vals[i] === v) return i;
    return -1;
  }
  /** Fills bAt / bEnd: the same as at / end for an ASCII line, else counted with Buffer.byteLength between boundaries. */
  byteOffsets(text: string, ascii: boolean): void {
    const { at, end, bAt, bEnd } = this;
    if (ascii) { for (let i = 0; i < this.n; i++) { bAt[i] = at[i] as number; bEnd[i] = end[i] as number; } return; }
    let c = 0; let b = 0;
    for (let i = 0; i < this.n; i++) {
      const x = at[i] as number; const y = end[i] as number;
      b += Buffer.byteLength(text.slice(c, x), 'utf8'); bAt[i] = b;
      b += Buffer.byteLength(text.slice(x, y), 'utf8'); bEnd[i] = b;
      c = y;
    }
  }
}

/**
 * One copy as a list of `length` pieces: a range of the line (`lit` null; text[a, b) = bytes[ba, bb)) or a string.
 * Consecutive strings are merged. `rawBytes` and `litChars` bound the copy's size (3 bytes per UTF-16 unit at most).
 */
export class Pieces {
  readonly a: number[] = []; readonly b: number[] = []; readonly ba: number[] = []; readonly bb: number[] = [];
  readonly lit: (string | null)[] = [];
  length = 0; rawBytes = 0; litChars = 0; nRaw = 0;
  clear(): void { this.length = 0; this.rawBytes = 0; this.litChars = 0; this.nRaw = 0; }
  raw(a: number, b: number, ba: number, bb: number): void {
    if (b <= a) return;
    const i = this.length++;
    this.a[i] = a; this.b[i] = b; this.ba[i] = ba; this.bb[i] = bb; this.lit[i] = null;
    this.rawBytes += bb - ba; this.nRaw++;
  }
  text(s: string): void {
    const n = this.length;
    const last = n > 0 ? this.lit[n - 1] : null;
    if (last !== null && last !== undefined) this.lit[n - 1] = last + s;
    else { this.lit[n] = s; this.length++; }
    this.litChars += s.length;
  }
}

/**
 * Cuts one copy (row with override `o`, as overrideJson writes it) into pieces of the row's canonical line `f`:
 * unchanged fields stay line bytes (with their keys and commas), a list given a goal message becomes
 * `[<message>,` + the list's bytes after its `[`, other new values their JSON. False if `f` does not cover the row.
 */
export function splicePieces(row: Row, o: Override, f: LineFields, cache: Map<unknown, string>, out: Pieces): boolean {
  out.clear();
  const n = f.n;
  if (n === 0) return false;
  const { at, end, bAt, bEnd } = f;
  let run = 0; let bRun = 0;   // start of the pending run of the line (text and byte offsets)
  for (let i = 0; i < n; i++) {
    const k = f.keys[i] as string;
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (v === f.vals[i]) continue;             // same value: same canonical text
    if (v === undefined) return false;         // a dropped field (never made by the relabeler): general path
    out.raw(run, at[i] as number, bRun, bAt[i] as number);   // up to and including this field's key
    if (isPrefixed(v)) {
      const m = f.indexOf(v.list);
      if (m >= 0 && (end[m] as number) - (at[m] as number) > 2) {   // after the list's "[" (one byte)
        out.text(`[${prefixJson(v.prefix)},`);
        out.raw((at[m] as number) + 1, end[m] as number, (bAt[m] as number) + 1, bEnd[m] as number);
      } else out.text(anyJson(v, cache));
    } else out.text(anyJson(v, cache));
    run = end[i] as number; bRun = bEnd[i] as number;
  }
  out.raw(run, end[n - 1] as number, bRun, bEnd[n - 1] as number);
  for (const k of Object.keys(o)) {
    if (Object.hasOwn(row, k)) continue;
    const v = o[k];
    if (v !== undefined) out.text(`,${keyJson(k)}:${anyJson(v, cache)}`);
  }
  out.text('}\n');
  return true;
}
