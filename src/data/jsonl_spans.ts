// Canonical spans of a JSON line: where each top-level value of a parsed row sits in the line's text, when that text
// is exactly what JSON.stringify would write for it (so writers can reuse it). Not a parser: JSON.parse did that.

import type { Row } from './types.js';

/** Whether the backslash at `i` starts an escape (is preceded by an even run of backslashes). */
function escapeStart(t: string, i: number): boolean {
  let b = i - 1;
  while (t.charCodeAt(b) === 92) b--;
  return ((i - 1 - b) & 1) === 0;
}

/**
 * Position of the first escape in `t` that JSON.stringify never writes, or -1: `\/`, or `\u` other than a control
 * character without a short form (U+0000-0007, 000B, 000E-001F, lowercase hex). Two native scans (a regular
 * expression, or stepping from backslash to backslash, were about twice as slow on text with many escapes).
 */
export function oddEscape(t: string): number {
  let odd = -1;
  for (let q = 0; ;) {
    const e = t.indexOf('\\/', q);
    if (e < 0) break;
    if (escapeStart(t, e)) { odd = e; break; }
    q = e + 1;
  }
  for (let q = 0; ;) {
    const e = t.indexOf('\\u', q);
    if (e < 0 || (odd >= 0 && e > odd)) break;
    if (escapeStart(t, e) && !controlEscape(t, e + 2)) return e;
    q = e + 1;
  }
  return odd;
}

/** Whether t[i..i+4) is the hex JSON.stringify writes after \u: 00 then 00-07, 0b, 0e, 0f or 10-1f, lowercase. */
function controlEscape(t: string, i: number): boolean {
  if (t.charCodeAt(i) !== 48 || t.charCodeAt(i + 1) !== 48) return false;
  const c2 = t.charCodeAt(i + 2); const c3 = t.charCodeAt(i + 3);
  if (c2 === 48) return (c3 >= 48 && c3 <= 55) || c3 === 98 || c3 === 101 || c3 === 102;
  return c2 === 49 && ((c3 >= 48 && c3 <= 57) || (c3 >= 97 && c3 <= 102));
}

const KEY_JSON = new Map<string, string>();
function keyText(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) { j = `${JSON.stringify(k)}:`; if (KEY_JSON.size < 1000) KEY_JSON.set(k, j); }
  return j;
}

/** Walks `text` along a parsed value; each step checks that the text is what JSON.stringify writes for it. */
class Walker {
  pos = 0;
  constructor(readonly text: string, readonly odd: number) {}

  /** Advances past `v`'s text; false as soon as the text differs from JSON.stringify(v). */
  value(v: unknown): boolean {
    const t = this.text;
    if (typeof v === 'string') {
      // The closing quote: the first one not escaped (preceded by an even run of backslashes).
      const a = this.pos;
      if (t.charCodeAt(a) !== 34) return false;
      let q = a + 1;
      for (;;) {
        const e = t.indexOf('"', q);
        if (e < 0) return false;
        q = e + 1;
        if (t.charCodeAt(e - 1) !== 92 || !escapeStart(t, e - 1)) break;   // not escaped (or its backslash is itself escaped)
      }
      if (this.odd > a && this.odd < q) return false;
      this.pos = q;
      return true;
    }
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        if (t.charCodeAt(this.pos) !== 91) return false;   // [
        this.pos++;
        for (let i = 0; i < v.length; i++) {
          if (i > 0) { if (t.charCodeAt(this.pos) !== 44) return false; this.pos++; }
          if (!this.value(v[i])) return false;
        }
        if (t.charCodeAt(this.pos) !== 93) return false;   // ]
        this.pos++;
        return true;
      }
      return this.object(v as Row, null);
    }
    // Numbers, booleans, null: the exact text, then a delimiter (so 8 does not match "8.0", nor 1 match "1e3").
    const s = JSON.stringify(v);
    if (s === undefined || !t.startsWith(s, this.pos)) return false;
    const c = t.charCodeAt(this.pos + s.length);
    if (c !== 44 && c !== 125 && c !== 93) return false;   // , } ]
    this.pos += s.length;
    return true;
  }

  /** An object in Object.keys order (the order JSON.stringify writes); `each` sees every top-level value's span. */
  object(o: Row, each: ((v: unknown, a: number, b: number, k: string) => void) | null): boolean {
    const t = this.text;
    if (t.charCodeAt(this.pos) !== 123) return false;     // {
    this.pos++;
    // for-in: own keys in Object.keys order, then any enumerable inherited ones (a polluted prototype), which the
    // text cannot match: safe, and no key array is built.
    let first = true;
    for (const k in o) {
      if (first) first = false;
      else { if (t.charCodeAt(this.pos) !== 44) return false; this.pos++; }
      const kt = keyText(k);
      if (!t.startsWith(kt, this.pos)) return false;
      this.pos += kt.length;
      const a = this.pos;
      const v = o[k];
      if (!this.value(v)) return false;
      each?.(v, a, this.pos, k);
    }
    if (t.charCodeAt(this.pos) !== 125) return false;     // }
    this.pos++;
    return true;
  }
}

/**
 * Calls `each(value, start, end, key)` for the top-level values of `row` (parsed from `text`) in order, as long as
 * `text.slice(start, end)` is exactly JSON.stringify(value); stops at the first value where it is not (whitespace,
 * an escape or number written another way, keys reordered or repeated). Returns true if the whole row was canonical.
 * `row` must be JSON.parse(text) (or a parse of it with the same values, e.g. Python's NaN read as a number).
 */
export function canonicalSpans(row: Row, text: string, each: (v: unknown, start: number, end: number, key: string) => void): boolean {
  // A lone surrogate in the text would be escaped by JSON.stringify (text decoded from valid UTF-8 has none).
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
  const w = new Walker(text, oddEscape(text));
  return w.object(row, each);
}
