// Byte-level writer of augmented pairs: positive copies are UTF-8-encoded straight into big write buffers; negative
// copies are spilled as recipes (their own text + byte ranges of the positive copy already in the output, e.g. the
// swapped message lists) and rebuilt by memcpy at the end. Not a parser; the shuffled order does not use it.

import * as fs from 'node:fs';
import type { AsyncOutFile } from './async_file.js';
import { overrideJson, overrideSegments, type Override } from './augment_row.js';
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
 * Writes one pair: the positive copy's line to `pos` (the output), the negative copy's recipe to `neg` (the spill);
 * replayNegatives turns the recipes into lines. Each line is exactly overrideJson(row, o) + "\n".
 */
export class PairWriter {
  private readonly ps: string[] = []; private readonly pb: string[] = [];
  private readonly ns: string[] = []; private readonly nb: string[] = [];
  private readonly ranges: number[] = [];
  constructor(readonly pos: LineSink, readonly neg: RecipeSink) {}

  async write(row: Row, po: Override, no: Override): Promise<void> {
    const { ps, pb, ns, nb, ranges, pos, neg } = this;
    ps.length = 0; pb.length = 0; ns.length = 0; nb.length = 0; ranges.length = 0;
    const cache = new Map<unknown, string>();
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
}

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
