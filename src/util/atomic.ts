// Crash-safe file output: everything is written to a temporary file beside the target and renamed at the end,
// so a crash never leaves a half-written result. Not a lock: concurrent writers to one path are not coordinated.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A temporary path in the same folder as `target` (same file system, so rename is atomic). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Writes `data` to `target` atomically (temp file, fsync, rename). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPathFor(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data as never);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Streams output into a temp file; `commit()` renames it into place, `abort()` deletes it.
 * Use for large outputs (JSONL writers) that must not appear half-written.
 */
export class AtomicWriteStream {
  readonly target: string;
  readonly tmp: string;
  private fd: number;
  private done = false;

  constructor(target: string) {
    this.target = target;
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    this.tmp = tempPathFor(target);
    this.fd = fs.openSync(this.tmp, 'w');
  }

  write(chunk: string | Uint8Array): void {
    if (this.done) throw new Error('AtomicWriteStream: write after commit/abort');
    fs.writeSync(this.fd, chunk as never);
  }

  commit(): void {
    if (this.done) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.target);
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    try { fs.unlinkSync(this.tmp); } catch { /* already gone */ }
    this.done = true;
  }
}

/**
 * Writes a whole folder atomically: `fill(tmpDir)` writes into a fresh temp folder which then replaces `target`
 * (the old folder, if any, is moved aside and removed only after the new one is in place).
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void): void {
  const abs = path.resolve(target);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = tempPathFor(abs);
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = fs.existsSync(abs) ? `${tmp}.old` : null;
  if (old) fs.renameSync(abs, old);
  fs.renameSync(tmp, abs);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

export async function writeDirAtomicAsync(target: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const abs = path.resolve(target);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = tempPathFor(abs);
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = fs.existsSync(abs) ? `${tmp}.old` : null;
  if (old) fs.renameSync(abs, old);
  fs.renameSync(tmp, abs);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
