// An output file written by the libuv thread pool while the main thread keeps parsing: at most one chunk in flight,
// temp file renamed into place on commit (atomic, like util/atomic.ts). Not a general stream: sequential appends only.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempPathFor } from '../util/atomic.js';

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void => {
      if (off >= buf.length) { resolve(); return; }
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : step(off + n)));
    };
    step(0);
  });
}

export class AsyncOutFile {
  readonly tmp: string;
  private fd: number | null;
  private pending: Promise<void> = Promise.resolve();
  bytes = 0;

  /** `durable`: fsync before the rename (outputs); scratch files skip it. */
  constructor(readonly target: string, private readonly durable = true, tmp?: string) {
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    this.tmp = tmp ?? tempPathFor(target);
    this.fd = fs.openSync(this.tmp, 'w');
  }

  /** Waits for the chunk in flight, then starts writing this one (returns without waiting for it). */
  async write(data: string | Buffer): Promise<void> {
    await this.pending;
    if (this.fd === null) throw new Error('AsyncOutFile: write after close');
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (buf.length === 0) return;
    this.bytes += buf.length;
    this.pending = writeAll(this.fd, buf);
  }

  /** Waits until every chunk handed over so far is in the file (so it can be read back). */
  async drain(): Promise<void> { await this.pending; }

  /** Finishes writing; for outputs fsyncs and renames the temp file onto the target. */
  async commit(): Promise<void> {
    await this.pending;
    if (this.fd === null) return;
    if (this.durable) fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
    if (this.durable) fs.renameSync(this.tmp, this.target);
  }

  /** Closes and deletes the temp file (after an error). */
  async abort(): Promise<void> {
    try { await this.pending; } catch { /* the error being reported wins */ }
    if (this.fd !== null) { try { fs.closeSync(this.fd); } catch { /* closed */ } this.fd = null; }
    fs.rmSync(this.tmp, { force: true });
  }
}
