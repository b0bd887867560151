// One error class for everything radpo reports to a user: a code, a message, and where the problem is.
// Not for bugs: those stay ordinary exceptions and the CLI prints their stack.

export type ErrorCode =
  | 'usage'        // bad command line or option
  | 'config'       // bad config key, type or value
  | 'input'        // bad input data (file, line, field, value)
  | 'model'        // bad or unsupported model folder / weights / config
  | 'io'           // file system problems
  | 'numeric'      // NaN / infinite loss or gradient
  | 'unsupported'; // a valid request radpo does not implement

export interface ErrorLocation {
  file?: string;
  line?: number;   // 1-based line (JSONL) or row index + 1 (JSON / Parquet)
  field?: string;  // dotted path
  value?: unknown; // the offending value (printed truncated)
}

export class RadpoError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;
  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}) {
    super(formatMessage(message, location));
    this.name = 'RadpoError';
    this.code = code;
    this.location = location;
  }
}

/** Prints a value for an error message, truncated so a 1 MB string cannot flood the terminal. */
export function showValue(value: unknown, max = 120): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) s = String(value);
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

function formatMessage(message: string, loc: ErrorLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  else if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.field !== undefined) where.push(`field "${loc.field}"`);
  if ('value' in loc) where.push(`value ${showValue(loc.value)}`);
  return where.length ? `${where.join(', ')}: ${message}` : message;
}
