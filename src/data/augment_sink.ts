// Byte-level writer of augmented pairs: positive copies are UTF-8-encoded straight into big write buffers; negative
// copies are spilled as recipes (their own text + byte ranges of the positive copy already in the output, e.g. the
// swapped message lists) and rebuilt by memcpy at the end. Not a parser; the shuffled order does not use it.

import * as fs from 'node:fs';
import type { AsyncOutFile } from './async_file.js';
import { cachedKind, overrideJson, overrideSegments, type Override } from './augment_row.js';
import { LineFields, Pieces, splicePieces } from './augment_splice.js';
import { canonicalSpans } from './jsonl_spans.js';
import type { Row } from './types.js';

/**
 * Write buffer size of each sink (two per sink: one being filled while the other is written). 1 MiB measured best
 * here: buffers that stay in the CPU cache make the kernel's copy cheap (8 MiB buffers doubled the system time).
 */
export const SINK_BUFFER = 1 << 20;

/** Buffered output of one file: fills a Buffer, hands it to the AsyncOutFile, fills the other. */
export class LineSink {
  private readonly bufs: [Buffer, Buffer];
  private cur = 0;
  buf: Buffer;
  len = 0;
  flushed = 0;   // bytes handed to the file before `buf` (file offset of buf[0])
  sync: BackgroundSync | null = null;
  constructor(readonly file: AsyncOutFile, size = SINK_BUFFER) {
    this.bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    this.buf = this.bufs[0];
  }
  get capacity(): number { return this.buf.length; }
  fits(n: number): boolean { return this.len + n <= this.buf.length; }
  /** Hands the filled part to the file (written in the background) and switches buffers. */
  async flush(): Promise<void> {
    if (this.len === 0) return;
    await this.file.write(this.buf.subarray(0, this.len));
    // AsyncOutFile.write waited for the previous chunk, so the other buffer is free again.
    this.flushed += this.len;
    this.cur ^= 1; this.buf = this.bufs[this.cur]; this.len = 0;
    this.sync?.poke(this.flushed);
  }
  /** Writes `b` (a fresh Buffer, not reused by the caller) after what is buffered. */
  async direct(b: Buffer): Promise<void> {
    await this.flush();
    await this.file.write(b);
    this.flushed += b.length;
  }
  /** Appends text (the caller made sure it fits: at most 3 bytes per UTF-16 unit). */
  text(s: string): void { this.len += this.buf.write(s, this.len); }
  /** Appends `j` without its first (ASCII) character: written over the last byte, which is then restored. */
  body(j: string): void {
    const at = this.len - 1; const keep = this.buf[at] as number;
    this.len = at + this.buf.write(j, at);
    this.buf[at] = keep;
  }
  copy(from: Buffer, start: number, end: number): void { this.len += from.copy(this.buf, this.len, start, end); }
}

/**
 * Writeback of an output while it is being written: an fdatasync on the thread pool each time another `every` bytes
 * were handed over (one at a time), so the final fsync has little left to wait for. Errors are left to that fsync.
 */
export class BackgroundSync {
  private fd: number | null = null;
  private pending: Promise<void> | null = null;
  private next: number;
  constructor(readonly path: string, readonly every = 64 << 20) { this.next = every; }
  poke(bytes: number): void {
    if (this.pending !== null || bytes < this.next) return;
    this.next = bytes + this.every;
    try { this.fd ??= fs.openSync(this.path, 'r'); } catch { return; }
    const fd = this.fd;
    this.pending = new Promise((resolve) => fs.fdatasync(fd, () => { this.pending = null; resolve(); }));
  }
  async close(): Promise<void> {
    if (this.pending !== null) await this.pending;
    if (this.fd !== null) { fs.closeSync(this.fd); this.fd = null; }
  }
}

const LIT = 0; const REF = 1;

/**
 * Spill file of negative-copy recipes: records `[0][u32 n][n bytes of text]` and `[1][f64 offset][u32 n]` (n bytes of
 * the output file at offset), little-endian. Consecutive text goes into one record.
 */
export class RecipeSink extends LineSink {
  private litAt = -1;   // position of the open text record's length field
  private open(): void { if (this.litAt < 0) { this.buf[this.len] = LIT; this.litAt = this.len + 1; this.len += 5; } }
  lit(s: string): void { this.open(); this.text(s); }
  litBody(j: string): void { this.open(); this.body(j); }
  close(): void { if (this.litAt >= 0) { this.buf.writeUInt32LE(this.len - this.litAt - 4, this.litAt); this.litAt = -1; } }
  ref(offset: number, n: number): void {
    this.close();
    const b = this.buf; const at = this.len;
    b[at] = REF; b.writeDoubleLE(offset, at + 1); b.writeUInt32LE(n, at + 9);
    this.len = at + 13;
  }
  /** A whole line as one text record, written directly (rows too big for the buffer). */
  async directLine(line: string): Promise<void> {
    const body = Buffer.from(line, 'utf8');
    const head = Buffer.allocUnsafe(5); head[0] = LIT; head.writeUInt32LE(body.length, 1);
    await this.direct(Buffer.concat([head, body]));
  }
}

/**
 * The fast paths of augmentFile (reusing the input line's text, and splicing canonical ASCII lines): `enabled` false
 * turns both off (tests compare the two paths' bytes); `spliced` counts the pairs written by splicing.
 */
export const AUGMENT_FAST_PATH = { enabled: true, spliced: 0 };

/**
 * Writes one pair: the positive copy's line to `pos` (the output), the negative copy's recipe to `neg` (the spill);
 * replayNegatives turns the recipes into lines. Each line is exactly overrideJson(row, o) + "\n".
 */
export class PairWriter {
  private readonly ps: string[] = []; private readonly pb: string[] = [];
  private readonly ns: string[] = []; private readonly nb: string[] = [];
  private readonly ranges: number[] = [];
  private readonly fields = new LineFields();
  private readonly pp = new Pieces(); private readonly np = new Pieces();
  constructor(readonly pos: LineSink, readonly neg: RecipeSink) {}

  /**
   * `text`: the line `row` was parsed from, if known: its canonical values are reused, not serialised again.
   * `bytes`: that line's UTF-8 bytes: a canonical line is then spliced as bytes (see augment_splice.ts).
   */
  async write(row: Row, po: Override, no: Override, text?: string, bytes?: Buffer): Promise<void> {
    const cache = new Map<unknown, string>();
    if (text !== undefined) {
      const f = this.fields;
      f.reset();
      const whole = canonicalSpans(row, text, (v, a, b, k) => {
        if (cachedKind(v)) cache.set(v, text.slice(a, b));
        f.add(k, v, a, b);
      });
      if (whole && bytes !== undefined) {
        f.byteOffsets(text, bytes.length === text.length);
        if (await this.splice(row, po, no, text, bytes, cache)) return;
      }
    }
    const { ps, pb, ns, nb, ranges, pos, neg } = this;
    ps.length = 0; pb.length = 0; ns.length = 0; nb.length = 0; ranges.length = 0;
    const np = 3 * overrideSegments(row, po, cache, ps, pb);
    const nn = 3 * overrideSegments(row, no, cache, ns, nb) + 18 * (nb.length + 1);
    if (np > pos.capacity || nn > neg.capacity) {
      // A row too big for the buffers (megabytes): written as strings, after what is buffered.
      await pos.direct(Buffer.from(overrideJson(row, po, cache) + '\n', 'utf8'));
      await neg.directLine(overrideJson(row, no, cache) + '\n');
      return;
    }
    if (!pos.fits(np)) await pos.flush();
    if (!neg.fits(nn)) await neg.flush();
    // Positive copy: encode, remembering where each big value's bytes went.
    for (let i = 0; i < pb.length; i++) {
      pos.text(ps[i] as string);
      const start = pos.len;
      pos.body(pb[i] as string);
      ranges.push(start, pos.len);
    }
    pos.text(ps[pb.length] as string);
    // Negative copy: its own text, and references to the positive copy's bytes of the same big values.
    for (let i = 0; i < nb.length; i++) {
      neg.lit(ns[i] as string);
      const k = pb.indexOf(nb[i] as string);
      if (k >= 0) neg.ref(pos.flushed + (ranges[2 * k] as number), (ranges[2 * k + 1] as number) - (ranges[2 * k] as number));
      else neg.litBody(nb[i] as string);
    }
    neg.lit(ns[nb.length] as string);
    neg.close();
  }

  /**
   * Splice path (canonical line): the positive copy is byte ranges of the line and a few strings; the negative copy
   * refers to the positive copy's bytes for every long range the two share. False (nothing written) when the copies
   * do not fit the buffers.
   */
  private async splice(row: Row, po: Override, no: Override, text: string, bytes: Buffer, cache: Map<unknown, string>): Promise<boolean> {
    const { pos, neg, pp, np, fields, ranges } = this;
    if (!splicePieces(row, po, fields, cache, pp) || !splicePieces(row, no, fields, cache, np)) return false;
    const pn = pp.rawBytes + 3 * pp.litChars;
    const nn = np.rawBytes + 3 * np.litChars + 18 * (np.nRaw + np.length + 1);
    if (pn > pos.capacity || nn > neg.capacity) return false;
    if (!pos.fits(pn)) await pos.flush();
    if (!neg.fits(nn)) await neg.flush();
    // Positive copy; ranges: [start, end, output offset] of each run of the line's bytes.
    ranges.length = 0;
    for (let i = 0; i < pp.length; i++) {
      const s = pp.lit[i];
      if (s !== null && s !== undefined) { pos.text(s); continue; }
      const a = pp.ba[i] as number; const b = pp.bb[i] as number;
      ranges.push(a, b, pos.flushed + pos.len);
      pos.copy(bytes, a, b);
    }
    // Negative copy: long ranges inside one of the positive copy's runs become references, the rest text.
    let pend = '';
    for (let i = 0; i < np.length; i++) {
      const s = np.lit[i];
      if (s !== null && s !== undefined) { pend += s; continue; }
      const a = np.ba[i] as number; const b = np.bb[i] as number;
      let off = -1;
      if (b - a >= REF_MIN) {
        for (let j = 0; j < ranges.length; j += 3) {
          if ((ranges[j] as number) <= a && b <= (ranges[j + 1] as number)) { off = (ranges[j + 2] as number) + a - (ranges[j] as number); break; }
        }
      }
      if (off < 0) { pend += text.slice(np.a[i] as number, np.b[i] as number); continue; }
      if (pend !== '') { neg.lit(pend); pend = ''; }
      neg.ref(off, b - a);
    }
    if (pend !== '') neg.lit(pend);
    neg.close();
    AUGMENT_FAST_PATH.spliced++;
    return true;
  }
}

/** Shorter shared ranges are copied as text into the recipe rather than referenced (a reference costs 13 bytes and a read). */
const REF_MIN = 64;

/**
 * Appends the negative copies to `out`: reads the recipes of `spillPath` in order, taking referenced bytes from the
 * output written so far (`outPath`, its temp file, read through a sliding window). Memory: a few buffers.
 */
export async function replayNegatives(out: LineSink, outPath: string, spillPath: string): Promise<void> {
  await out.flush(); await out.file.drain();
  const fdS = fs.openSync(spillPath, 'r'); const fdO = fs.openSync(outPath, 'r');
  try {
    const chunk = Buffer.allocUnsafe(SINK_BUFFER);
    let data = Buffer.alloc(0); let p = 0; let eof = false;
    const need = (n: number): boolean => {
      while (data.length - p < n && !eof) {
        const k = fs.readSync(fdS, chunk, 0, chunk.length, null);
        if (k <= 0) { eof = true; break; }
        data = Buffer.concat([data.subarray(p), chunk.subarray(0, k)]); p = 0;
      }
      return data.length - p >= n;
    };
    let win = Buffer.allocUnsafe(SINK_BUFFER); let winStart = 0; let winLen = 0;
    while (need(1)) {
      let src: Buffer; let a: number; let n: number;
      if (data[p] === LIT) {
        if (!need(5)) break;
        n = data.readUInt32LE(p + 1);
        if (!need(5 + n)) break;
        src = data; a = p + 5;
        p += 5 + n;
      } else {
        if (!need(13)) break;
        const off = data.readDoubleLE(p + 1); n = data.readUInt32LE(p + 9);
        p += 13;
        if (off < winStart || off + n > winStart + winLen) {
          if (n > win.length) win = Buffer.allocUnsafe(n);
          winStart = off; winLen = fs.readSync(fdO, win, 0, win.length, off);
          if (winLen < n) throw new Error(`augment: output shorter than expected at byte ${off}`);
        }
        src = win; a = off - winStart;
      }
      // Awaits only when a buffer is handed over, not per record.
      if (n > out.capacity) await out.direct(Buffer.from(src.subarray(a, a + n)));
      else {
        if (!out.fits(n)) await out.flush();
        out.copy(src, a, a + n);
      }
    }
    if (data.length - p !== 0) throw new Error('augment: truncated spill file');
  } finally { fs.closeSync(fdS); fs.closeSync(fdO); }
}
