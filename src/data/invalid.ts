// Bad-input bookkeeping: the reasons a row can be rejected, and the handler that either stops or counts and logs.
// Not a validator itself: checks live where the data is understood (read.ts, schema.ts, validate.ts).

import { RadpoError } from '../util/errors.js';
import { AtomicWriteStream } from '../util/atomic.js';

export type InvalidReason =
  | 'malformed_json' | 'invalid_utf8' | 'not_an_object' | 'missing_field' | 'non_numeric_score'
  | 'non_finite_score' | 'empty_response' | 'unknown_role' | 'identical_responses' | 'duplicate_id'
  | 'bad_value';

export class InvalidRowError extends RadpoError {
  readonly reason: InvalidReason;
  constructor(reason: InvalidReason, message: string, loc: { file?: string; line?: number; field?: string; value?: unknown }) {
    super('input', `${message} [${reason}]`, loc);
    this.reason = reason;
  }
}

/** Called for each invalid row: throws (default) or records it. `raw` is the row or line text when known. */
export type InvalidHandler = (err: InvalidRowError, raw?: unknown) => void;

/** The default: stop at the first bad row. */
export const stopOnInvalid: InvalidHandler = (err) => { throw err; };

/**
 * `--skip-invalid`: counts rows by reason and writes each to a rejects JSONL file
 * (`{file, line, reason, field, value, message, raw}`), committed atomically with `commit()`.
 */
export class RejectLog {
  readonly counts = new Map<InvalidReason, number>();
  private stream: AtomicWriteStream | null;
  total = 0;
  constructor(rejectsPath?: string) {
    this.stream = rejectsPath ? new AtomicWriteStream(rejectsPath) : null;
  }
  readonly handler: InvalidHandler = (err, raw) => {
    this.total++;
    this.counts.set(err.reason, (this.counts.get(err.reason) ?? 0) + 1);
    if (this.stream) {
      const loc = err.location;
      const rec = { file: loc.file, line: loc.line, reason: err.reason, field: loc.field, value: safeValue(loc.value), message: err.message, raw: raw ?? null };
      this.stream.write(JSON.stringify(rec) + '\n');
    }
  };
  commit(): void { this.stream?.commit(); }
  abort(): void { this.stream?.abort(); }
  summary(): string {
    if (this.total === 0) return 'no invalid rows';
    return `${this.total} invalid row(s) skipped: ${[...this.counts].map(([r, n]) => `${r} ${n}`).join(', ')}`;
  }
}

/** For commands with --skip_invalid: after a bad row stopped the run, say how to skip such rows instead (stderr). */
export function hintSkipInvalid(e: unknown, skipping: boolean): void {
  if (skipping || !(e instanceof InvalidRowError)) return;
  const field = e.location.field ?? '';
  if (e.reason === 'missing_field' && /score|rating/i.test(field) && e.location.line === 1) {
    // the first row has no score: the file is unscored, not one bad row
    process.stderr.write('hint: reward augmentation needs scored pairs; map a score column with --field_map, or score the pairs with a model (radpo relabel)\n');
    return;
  }
  if (e.reason === 'malformed_json' && e.location.line === 1) {
    // the very first line is not JSON: most likely not a JSON Lines file at all (pretty-printed, commented)
    process.stderr.write('hint: a .jsonl file needs one JSON object per line; a .json file may hold one array of rows (pretty-printed is fine, comments are not)\n');
    return;
  }
  process.stderr.write('hint: --skip_invalid skips bad rows like the one below (counted by reason, written to a rejects file) instead of stopping\n');
}

function safeValue(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.length > 2000) return `${v.slice(0, 2000)}…`;
  return v;
}
