// Row-level reward augmentation (method.md §2): one scored pair -> a positive copy (goal = chosen's score)
// and a negative copy (goal = rejected's score, chosen and rejected swapped), in the row's own layout. Not file I/O.

import { RadpoError } from '../util/errors.js';
import { InvalidRowError } from './invalid.js';
import { getPath } from './fields.js';
import { looksLikeHh, parseHh, splitText } from './conversation.js';
import { goalText, rescaleGoal, type Goal, type GoalFormat } from './goal.js';
import { readScore, toPreferencePair, type FieldMap, type SchemaName } from './schema.js';
import { canonicalSpans } from './jsonl_spans.js';
import type { Message, Row } from './types.js';

export type Placement = 'system' | 'prompt';

/** The four UltraFeedback aspects, in the order of the reference's fine_grain_score lists. */
export const ULTRAFEEDBACK_ASPECTS = ['helpfulness', 'honesty', 'instruction_following', 'truthfulness'] as const;

export interface RelabelOptions {
  placement?: Placement;            // 'system' (default): a system goal message first; 'prompt': goal + "\n\n" before the first user turn
  goal_template?: string;           // custom goal text (see goal.ts); default the reference text
  attributes?: string[];            // multi-attribute goals: one line per attribute (e.g. the four UltraFeedback aspects)
  score_scale?: [number, number];   // the scores' scale (default [1, 10])
  goal_scale?: [number, number];    // print goals rescaled to this scale (default: no rescaling)
  goal_decimals?: number;           // rounding of rescaled goals (default 2)
  goal_column?: boolean;            // add a `goal` column (default true)
  swap_scores?: boolean;            // swap *_chosen / *_rejected columns in negative copies (default true)
  schema: SchemaName;
  field_map?: FieldMap;
}

/** A copy's changed top-level fields. A `Prefixed` value is `[prefix, ...list]`, kept lazy so JSON is reused. */
export interface Prefixed { prefix: Message; list: Message[] }
export type Override = Record<string, unknown | Prefixed>;

export function isPrefixed(v: unknown): v is Prefixed {
  return v !== null && typeof v === 'object' && 'prefix' in v && 'list' in v && !Array.isArray(v);
}
export function materialize(v: unknown): unknown { return isPrefixed(v) ? [v.prefix, ...v.list] : v; }

export interface RelabeledPair {
  pos: Override; neg: Override;
  fingerprint: number;   // 32-bit hash of the completions (lengths and ends), for the duplicate check
  goalPos: Goal; goalNeg: Goal;
  scoreChosen: number; scoreRejected: number;
}

/** Goal of one side: the overall score, or the attribute vector (fields `<attr>_<side>`, or the reference's fine_grain_score list). */
export function sideGoal(row: Row, side: 'chosen' | 'rejected', score: number, opts: RelabelOptions, file: string, line: number): Goal {
  const attrs = opts.attributes;
  if (!attrs || attrs.length === 0) return score;
  const fm = opts.field_map ?? {};
  const g: Record<string, number> = {};
  for (const a of attrs) {
    if (a === 'overall') { g[a] = score; continue; }
    let p = fm[`${a}_${side}`] ?? `${a}_${side}`;
    let v = getPath(row, p);
    const idx = (ULTRAFEEDBACK_ASPECTS as readonly string[]).indexOf(a);
    if (v === undefined && idx >= 0 && Array.isArray(row[`fine_grain_score_${side}`])) { p = `fine_grain_score_${side}.${idx}`; v = getPath(row, p); }
    g[a] = readScore(v, p, file, line);
  }
  return g;
}

/** Mean of the four fine-grained ratings per side when the row carries them (reference filter), else null. */
export function fineGrainedMeans(row: Row): [number, number] | null {
  const c = row.avg_fine_score_chosen; const r = row.avg_fine_score_rejected;
  if (typeof c === 'number' && typeof r === 'number') return [c, r];
  if (row.fine_grain_score_chosen === undefined) return null;
  const mc = meanOf(row.fine_grain_score_chosen); const mr = meanOf(row.fine_grain_score_rejected);
  return mc !== null && mr !== null ? [mc, mr] : null;
}

function meanOf(a: unknown): number | null {
  if (!Array.isArray(a) || a.length === 0) return null;
  let s = 0;
  for (const x of a) { if (typeof x !== 'number') return null; s += x; }
  return s / a.length;
}

/** Adds the goal to one message list: merged into a leading system message, or a new one put first. */
function withSystem(list: Message[], text: string): Message[] | Prefixed {
  const first = list[0];
  if (first && first.role === 'system') return [sysMessage(`${text}\n\n${first.content}`, first), ...list.slice(1)];
  return { prefix: sysMessage(text, first), list };
}

/** A system message with its keys in the order the list's messages use (H4 data: content first, as the reference writes it). */
function sysMessage(content: string, like: Message | undefined): Message {
  let contentFirst = false;
  if (like !== undefined) for (const k in like) { contentFirst = k === 'content'; break; } // first own key (no array built)
  const cache = contentFirst ? SYS_CONTENT_FIRST : SYS_ROLE_FIRST;
  let m = cache.get(content);
  if (m === undefined) {
    m = contentFirst ? { content, role: 'system' } : { role: 'system', content };
    if (cache.size > 10000) cache.clear();
    cache.set(content, m);
  }
  return m;
}

// Goal messages repeat (one per distinct goal): shared objects, so their JSON is computed once (see overrideJson).
const SYS_CONTENT_FIRST = new Map<string, Message>();
const SYS_ROLE_FIRST = new Map<string, Message>();
const SHARED_JSON = new WeakMap<object, string>();

/** Prompt placement: goal + "\n\n" in front of the first user message (first non-system message if no user turn). */
function withPromptGoal(list: Message[], text: string): Message[] {
  let i = list.findIndex((m) => m.role === 'user');
  if (i < 0) i = list.findIndex((m) => m.role !== 'system');
  if (i < 0) i = 0;
  return list.map((m, j) => (j === i ? { ...m, content: `${text}\n\n${m.content}` } : m));
}

function hhWithPromptGoal(s: string, text: string): string {
  const m = /^(\n\n)?Human: ?/.exec(s);
  if (!m) return `${text}\n\n${s}`;
  return s.slice(0, m[0].length) + `${text}\n\n` + s.slice(m[0].length);
}

function topKey(path: string | undefined, dflt: string): string { return path && !path.includes('.') ? path : dflt; }

/** Swaps every top-level `<x>_chosen` / `<x>_rejected` column pair (and those inside `metadata`). */
function swappedSides(row: Row, out: Override = {}): Override {
  for (const k of Object.keys(row)) {
    if (!k.endsWith('_chosen')) continue;
    const r = `${k.slice(0, -7)}_rejected`;
    if (r in row) { out[k] = row[r]; out[r] = row[k]; }
  }
  const md = row.metadata;
  if (md && typeof md === 'object' && !Array.isArray(md)) {
    const inner = swappedSides(md as Row);
    if (Object.keys(inner).length > 0) out.metadata = { ...(md as Row), ...inner };
  }
  return out;
}

export class Relabeler {
  private readonly fmt: GoalFormat;
  // Keyed by the goal itself when it is a number (no number-to-string per row), else by its JSON.
  private readonly textCache = new Map<string | number, string>();
  constructor(readonly opts: RelabelOptions) {
    this.fmt = { template: opts.goal_template, scale: opts.goal_scale ?? opts.score_scale ?? [1, 10] };
  }

  /** The goal as printed (after rescaling). */
  shownGoal(g: Goal): Goal {
    return this.opts.goal_scale ? rescaleGoal(g, this.opts.score_scale ?? [1, 10], this.opts.goal_scale, this.opts.goal_decimals ?? 2) : g;
  }

  text(g: Goal): string {
    const key = typeof g === 'number' ? g : JSON.stringify(g);
    let t = this.textCache.get(key);
    if (t === undefined) {
      t = goalText(g, this.fmt);
      if (this.textCache.size > 10000) this.textCache.clear();
      this.textCache.set(key, t);
    }
    return t;
  }

  /** Goal-conditions one row's prompt without swapping (evaluation split conditioned on a chosen goal). */
  condition(row: Row, goal: Goal, file: string, line: number, swap = false): Override {
    const o = this.opts;
    const fm = o.field_map ?? {};
    const text = this.text(goal);
    const cKey = topKey(fm.chosen, 'chosen'); const rKey = topKey(fm.rejected, 'rejected'); const pKey = topKey(fm.prompt, 'prompt');
    const c = getPath(row, fm.chosen ?? 'chosen'); const r = getPath(row, fm.rejected ?? 'rejected'); const p = getPath(row, fm.prompt ?? 'prompt');
    const [C, R] = swap ? [r, c] : [c, r];
    const out: Override = {};
    const system = (o.placement ?? 'system') === 'system';
    if (Array.isArray(C) && Array.isArray(R)) {
      if (Array.isArray(p)) {
        out[pKey] = system ? withSystem(p as Message[], text) : withPromptGoal(p as Message[], text);
        out[cKey] = C; out[rKey] = R;
      } else {
        out[cKey] = system ? withSystem(C as Message[], text) : withPromptGoal(C as Message[], text);
        out[rKey] = system ? withSystem(R as Message[], text) : withPromptGoal(R as Message[], text);
      }
    } else if (typeof C === 'string' && typeof R === 'string') {
      if (typeof p === 'string') {
        if (system) {
          out[pKey] = [{ role: 'system', content: text }, { role: 'user', content: p }];
          out[cKey] = [{ role: 'assistant', content: C }]; out[rKey] = [{ role: 'assistant', content: R }];
        } else { out[pKey] = `${text}\n\n${p}`; out[cKey] = C; out[rKey] = R; }
      } else if (looksLikeHh(C)) {
        if (system) { out[cKey] = withSystem(parseHh(C), text); out[rKey] = withSystem(parseHh(R), text); } else { out[cKey] = hhWithPromptGoal(C, text); out[rKey] = hhWithPromptGoal(R, text); }
      } else {
        const s = splitText(C, R);
        if (system) {
          out[pKey] = [{ role: 'system', content: text }, { role: 'user', content: s.prompt }];
          out[cKey] = [{ role: 'assistant', content: s.chosen }]; out[rKey] = [{ role: 'assistant', content: s.rejected }];
        } else { out[cKey] = `${text}\n\n${C}`; out[rKey] = `${text}\n\n${R}`; }
      }
    } else {
      throw new InvalidRowError('bad_value', 'chosen and rejected must both be strings or both message lists', { file, line, field: cKey, value: C });
    }
    if (swap && o.swap_scores !== false) swappedSides(row, out);   // in place: same keys, same order as Object.assign
    if (o.goal_column !== false) out.goal = goal;
    return out;
  }

  /** Validates a row (every bad-input class) and builds both copies. */
  relabel(row: Row, file: string, line: number): RelabeledPair {
    const pair = toPreferencePair(row, { schema: this.opts.schema, fieldMap: this.opts.field_map, requireScores: true, extras: false, file, line });
    const sc = pair.score_chosen as number; const sr = pair.score_rejected as number;
    const goalPos = this.shownGoal(sideGoal(row, 'chosen', sc, this.opts, file, line));
    const goalNeg = this.shownGoal(sideGoal(row, 'rejected', sr, this.opts, file, line));
    return { pos: this.condition(row, goalPos, file, line, false), neg: this.condition(row, goalNeg, file, line, true), goalPos, goalNeg, scoreChosen: sc, scoreRejected: sr, fingerprint: fingerprint(pair.rejected, fingerprint(pair.chosen)) };
  }
}

// (Hot per-row helpers are top-level functions, not closures: the test runner's transpiler wraps named closures in a
// naming call on every invocation.)
function fnvRange(h: number, t: string, a: number, b: number): number {
  for (let i = a; i < b; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h;
}

/** FNV-1a over the first and last `ends` characters of `t` (all of it if `ends` <= 0) and its length: 32 bits. */
export function fnv1a(t: string, h = 0x811c9dc5, ends = 64): number {
  if (ends <= 0 || t.length <= 2 * ends) h = fnvRange(h, t, 0, t.length);
  else { h = fnvRange(h, t, 0, ends); h = fnvRange(h, t, t.length - ends, t.length); }
  return Math.imul(h ^ t.length, 0x01000193) >>> 0;
}

/** A completion's 32-bit hash: fnv1a of each message's content in turn (ends and length; no text kept alive). */
function fingerprint(x: Message[] | string, h = 0x811c9dc5): number {
  if (typeof x === 'string') return fnv1a(x, h);
  for (let i = 0; i < x.length; i++) h = fnv1a((x[i] as Message).content, h);
  return Math.imul(h ^ x.length, 0x01000193) >>> 0;
}

/** Applies an override to a row: the output object of one copy. */
export function applyOverride(row: Row, o: Override): Row {
  const out: Row = { ...row };
  for (const [k, v] of Object.entries(o)) out[k] = materialize(v);
  return out;
}

/** JSON of a key (keys repeat on every row). */
const KEY_JSON = new Map<string, string>();
export function keyJson(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) { j = JSON.stringify(k); if (KEY_JSON.size < 1000) KEY_JSON.set(k, j); }
  return j;
}

export function prefixJson(m: Message): string {
  let p = SHARED_JSON.get(m);
  if (p === undefined) { p = JSON.stringify(m); SHARED_JSON.set(m, p); }
  return p;
}

/**
 * True when two arrays of flat objects (message lists) have the same JSON text: same length, and element by element
 * the same keys in the same order with identical primitive values (so JSON.stringify of both is the same string).
 */
export function sameFlatList(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]; const y = b[i];
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object' || Array.isArray(x) || Array.isArray(y)) return false;
    const kx = Object.keys(x); const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (let j = 0; j < kx.length; j++) {
      const k = kx[j] as string;
      if (k !== ky[j]) return false;
      const vx = (x as Record<string, unknown>)[k]; const vy = (y as Record<string, unknown>)[k];
      if (vx !== vy || (vx !== null && typeof vx === 'object') || typeof vx === 'function' || typeof vx === 'undefined') return false;
    }
  }
  return true;
}

/**
 * JSON of one (non-Prefixed) value of a row. Objects and long strings are cached in `cache` (one row's two copies
 * share the work); an array with the same JSON as one already serialised (H4 `messages` = `chosen`) reuses its text.
 */
function valueJson(v: unknown, cache: Map<unknown, string>): string {
  if (cachedKind(v)) {
    let s = cache.get(v);
    if (s === undefined) {
      if (Array.isArray(v)) {
        for (const [k, t] of cache) if (Array.isArray(k) && sameFlatList(k, v)) { s = t; break; }
      }
      s ??= JSON.stringify(v);
      cache.set(v, s);
    }
    return s;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Whether valueJson caches a value's JSON (objects, long strings). */
export function cachedKind(v: unknown): boolean {
  return (v !== null && typeof v === 'object') || (typeof v === 'string' && v.length > 64);
}

/**
 * Seeds a row's JSON cache (see valueJson) from the line the row was parsed from: every big top-level value whose
 * text in the line is exactly JSON.stringify's is taken from the line instead of being serialised again.
 */
export function seedJsonCache(row: Row, text: string, cache: Map<unknown, string>): void {
  canonicalSpans(row, text, (v, a, b) => { if (cachedKind(v)) cache.set(v, text.slice(a, b)); });
}

/** JSON of one copy's value (a Prefixed list included), using and filling the row's `cache`. */
export function anyJson(v: unknown, cache: Map<unknown, string>): string {
  if (!isPrefixed(v)) return valueJson(v, cache);
  const inner = valueJson(v.list, cache);
  const p = prefixJson(v.prefix);
  return inner === '[]' ? `[${p}]` : `[${p},${inner.slice(1)}`;
}

/** The (key, value) pairs of one copy in output order: the row's keys with overridden values, new keys (goal) last. */
function forEachField(row: Row, o: Override, f: (k: string, v: unknown) => void): void {
  // Own keys only (a row may have a key such as "constructor" or "__proto__"), as applyOverride copies them.
  for (const k of Object.keys(row)) {
    const v = Object.hasOwn(o, k) ? o[k] : row[k];
    if (v !== undefined) f(k, v);
  }
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(row, k) && o[k] !== undefined) f(k, o[k]);
  }
}

/**
 * JSON of one copy: the row's keys in order with overridden values, new keys (goal) last. `cache` holds each
 * field's JSON for the row so the two copies share the serialisation work. Same text as JSON.stringify(applyOverride(row, o)).
 */
export function overrideJson(row: Row, o: Override, cache: Map<unknown, string>): string {
  let s = '{';
  let first = true;
  forEachField(row, o, (k, v) => {
    s += `${first ? '' : ','}${keyJson(k)}:${anyJson(v, cache)}`;
    first = false;
  });
  return `${s}}`;
}

/** Values whose JSON is at least this long are written once as bytes and copied into the other copy (augment_sink.ts). */
export const BIG_JSON = 256;

/**
 * One copy's JSON line (as overrideJson, plus "\n") cut for the byte writer: the line is small[0] + body(big[0]) +
 * small[1] + ... + small[n], where body(j) is j without its first character (each big value's JSON starts with one
 * ASCII character, `[`, `{` or `"`; the small piece before it ends with that character, or with `[<system message>,`
 * for a list given a system message). Pushes onto `small` and `big`; returns the line's length in UTF-16 units.
 */
export function overrideSegments(row: Row, o: Override, cache: Map<unknown, string>, small: string[], big: string[]): number {
  let s = '{';
  let first = true;
  let n = 0;
  forEachField(row, o, (k, v) => {
    s += first ? `${keyJson(k)}:` : `,${keyJson(k)}:`;
    first = false;
    let j: string; let lead: string;
    if (isPrefixed(v)) {
      const inner = valueJson(v.list, cache);
      const p = prefixJson(v.prefix);
      if (inner.length < BIG_JSON) { s += inner === '[]' ? `[${p}]` : `[${p},${inner.slice(1)}`; return; }
      j = inner; lead = `[${p},`;
    } else {
      j = valueJson(v, cache);
      if (j.length < BIG_JSON) { s += j; return; }
      lead = j[0] as string;
    }
    s += lead;
    small.push(s); big.push(j);
    n += s.length + j.length - 1;
    s = '';
  });
  s += '}\n';
  small.push(s);
  return n + s.length;
}

export function assertScale(s: [number, number] | undefined, field: string): void {
  if (s && !(s[1] > s[0])) throw new RadpoError('config', 'scale must be LO-HI with LO < HI', { field, value: s });
}
