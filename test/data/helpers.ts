// Shared helpers of the data tests: temp folders, JSONL reading, and running radpo's data commands in-process.
// Not a fixture store: fixtures are built inside each test from ../shared/data/real or written by hand.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { augmentCommand } from '../../src/cli/commands/augment.js';
import { prepareHelpsteer2Command, prepareUltrafeedbackCommand } from '../../src/cli/commands/prepare.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';

export const REAL = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/data/real');
export const EXAMPLES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../examples');

export function tmpDir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-data-')); }

export function readJsonl(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function writeLines(file: string, rows: unknown[]): string {
  fs.writeFileSync(file, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
}

/** Runs `radpo <argv>` in-process with the data commands only; returns exit code and captured output. */
export async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''; let stderr = '';
  const ow = process.stdout.write.bind(process.stdout); const ew = process.stderr.write.bind(process.stderr);
  // Commands write strings; the test runner's own reporter writes buffers, which must pass through.
  process.stdout.write = ((c: string | Uint8Array, ...rest: unknown[]) => { if (typeof c !== 'string') return (ow as (...a: unknown[]) => boolean)(c, ...rest); stdout += c; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array, ...rest: unknown[]) => { if (typeof c !== 'string') return (ew as (...a: unknown[]) => boolean)(c, ...rest); stderr += c; return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv, [augmentCommand, prepareUltrafeedbackCommand, prepareHelpsteer2Command, inspectCommand]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = ow; process.stderr.write = ew;
  }
}

/** The files in a folder (no temp leftovers allowed). */
export function listDir(dir: string): string[] { return fs.readdirSync(dir).sort(); }

/** An H4 ultrafeedback_binarized row (content-first message keys, as the Hub files have them). */
export function h4Row(prompt: string, chosen: string, rejected: string, sc: number, sr: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = [{ content: prompt, role: 'user' }, { content: chosen, role: 'assistant' }];
  const r = [{ content: prompt, role: 'user' }, { content: rejected, role: 'assistant' }];
  return { prompt, prompt_id: `id-${prompt}`, chosen: c, rejected: r, messages: c, score_chosen: sc, score_rejected: sr, ...extra };
}

export const GOAL = (s: string): string =>
  'You are an assistant that generates responses for the instruction while implicitly achieving the following target scores (on a scale of 1-10, where 1 is lowest and 10 is highest):\n' +
  `Overall score: ${s}.`;
