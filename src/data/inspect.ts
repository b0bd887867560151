// `radpo inspect` as a library: schema, row counts, score histograms, tie rate, length statistics and invalid rows
// of a dataset (every split of a folder). Not a validator that stops: bad rows are counted by reason.

import { detectContainer, listSplits, readRows } from './read.js';
import { InvalidRowError, type InvalidReason } from './invalid.js';
import { detectSchema, PAIR_SCHEMAS, toPreferencePair, type SchemaName } from './schema.js';
import { ultrafeedbackResponses, helpsteer2Response, steerlmToHelpsteer2 } from './responses.js';
import { getPath } from './fields.js';
import type { Message } from './types.js';

export interface LengthStats { mean: number; median: number; p95: number; max: number }
export interface SplitReport {
  split: string;
  schema: SchemaName | 'unknown';
  rows: number;
  valid: number;
  invalid: Partial<Record<InvalidReason, number>>;
  first_invalid?: string;
  /** Histograms as [score, count] pairs in ascending score order (an object would put 6.5 after 10). */
  scores?: { chosen: [number, number][]; rejected: [number, number][] } | { response: [number, number][] };
  tie_rate?: number;
  lengths: Record<string, LengthStats>;   // characters
  columns: string[];
}

function textLen(x: Message[] | string | unknown): number {
  if (typeof x === 'string') return x.length;
  if (Array.isArray(x)) return x.reduce((s: number, m) => s + (typeof m?.content === 'string' ? m.content.length : 0), 0);
  return 0;
}

export function lengthStats(xs: number[]): LengthStats {
  if (xs.length === 0) return { mean: 0, median: 0, p95: 0, max: 0 };
  const s = Float64Array.from(xs).sort();
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] as number;
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] as number };
}

function bump(h: Record<string, number>, v: number): void { const k = String(v); h[k] = (h[k] ?? 0) + 1; }

async function inspectSplit(file: string, split: string | undefined, schemaOpt?: SchemaName, fieldMap?: Record<string, string>): Promise<SplitReport> {
  const rep: SplitReport = { split: split ?? '-', schema: 'unknown', rows: 0, valid: 0, invalid: {}, lengths: {}, columns: [] };
  const lens: Record<string, number[]> = {};
  const addLen = (k: string, n: number): void => { (lens[k] ??= []).push(n); };
  const cols = new Set<string>();
  const bad = (e: InvalidRowError): void => {
    rep.invalid[e.reason] = (rep.invalid[e.reason] ?? 0) + 1;
    rep.first_invalid ??= e.message;
  };
  let schema: SchemaName | null = schemaOpt ?? null;
  let ties = 0; let scored = 0;
  const hc: Record<string, number> = {}; const hr: Record<string, number> = {}; const hresp: Record<string, number> = {};
  for await (const { row, line, file: f } of readRows(file, { split, onInvalid: (e) => { rep.rows++; bad(e); } })) {
    rep.rows++;
    if (rep.rows <= 100) for (const k of Object.keys(row)) cols.add(k);
    schema ??= detectSchema(row);
    try {
      if (schema && PAIR_SCHEMAS.has(schema)) {
        const p = toPreferencePair(row, { schema, fieldMap, file: f, line });
        addLen('prompt', textLen(p.prompt)); addLen('chosen', textLen(p.chosen)); addLen('rejected', textLen(p.rejected));
        if (p.score_chosen !== undefined && p.score_rejected !== undefined) {
          scored++; bump(hc, p.score_chosen); bump(hr, p.score_rejected);
          if (p.score_chosen === p.score_rejected) ties++;
        }
      } else if (schema === 'ultrafeedback-raw') {
        addLen('prompt', textLen(row.instruction));
        for (const r of ultrafeedbackResponses(row, f, line)) { bump(hresp, r.score); addLen('response', r.response.length); }
      } else if (schema === 'helpsteer2' || schema === 'steerlm-regression') {
        const r0 = schema === 'steerlm-regression' ? steerlmToHelpsteer2(row, f, line) : row;
        const r = helpsteer2Response(r0, f, line, 'helpfulness');
        addLen('prompt', textLen(r0.prompt)); addLen('response', r.response.length); bump(hresp, r.score);
      } else {
        const p = getPath(row, 'prompt') ?? getPath(row, 'instruction') ?? getPath(row, 'turns.0') ?? getPath(row, 'messages');
        addLen('prompt', textLen(p));
      }
      rep.valid++;
    } catch (e) {
      if (!(e instanceof InvalidRowError)) throw e;
      bad(e);
    }
  }
  rep.schema = schema ?? 'unknown';
  rep.columns = [...cols];
  for (const [k, xs] of Object.entries(lens)) rep.lengths[k] = lengthStats(xs);
  if (scored > 0) { rep.scores = { chosen: sortHist(hc), rejected: sortHist(hr) }; rep.tie_rate = ties / scored; }
  if (Object.keys(hresp).length > 0) rep.scores = { response: sortHist(hresp) };
  return rep;
}

function sortHist(h: Record<string, number>): [number, number][] {
  return Object.entries(h).map(([k, n]): [number, number] => [Number(k), n]).sort((a, b) => a[0] - b[0]);
}

export interface InspectReport { file: string; container: string; splits: SplitReport[] }

export async function inspectDataset(file: string, opts: { split?: string; schema?: SchemaName; fieldMap?: Record<string, string> } = {}): Promise<InspectReport> {
  const container = detectContainer(file);
  const splits = container === 'folder' ? (opts.split ? [opts.split] : [...listSplits(file).keys()]) : [undefined];
  const out: SplitReport[] = [];
  for (const s of splits) out.push(await inspectSplit(file, s, opts.schema, opts.fieldMap));
  return { file, container, splits: out };
}

function bar(n: number, max: number, width = 30): string { return '#'.repeat(Math.max(n > 0 ? 1 : 0, Math.round((n / max) * width))); }

/** The readable terminal summary. */
export function formatInspect(r: InspectReport): string {
  const L: string[] = [`${r.file} (${r.container})`];
  for (const s of r.splits) {
    L.push('', `split ${s.split}: schema ${s.schema}, ${s.rows} rows, ${s.valid} valid, ${s.rows - s.valid} invalid`);
    L.push(`  columns: ${s.columns.join(', ')}`);
    const inv = Object.entries(s.invalid);
    if (inv.length) { L.push(`  invalid rows by reason: ${inv.map(([k, v]) => `${k} ${v}`).join(', ')}`); if (s.first_invalid) L.push(`  first: ${s.first_invalid}`); }
    if (s.tie_rate !== undefined) L.push(`  tie rate: ${(100 * s.tie_rate).toFixed(1)}%`);
    if (s.scores) {
      for (const [side, h] of Object.entries(s.scores)) {
        const max = Math.max(...h.map((x) => x[1]));
        L.push(`  score histogram (${side}):`);
        for (const [v, n] of h) L.push(`    ${String(v).padStart(6)} ${String(n).padStart(7)} ${bar(n, max)}`);
      }
    }
    if (Object.keys(s.lengths).length) {
      L.push('  length in characters:    mean   median      p95      max');
      for (const [k, st] of Object.entries(s.lengths)) L.push(`    ${k.padEnd(18)} ${st.mean.toFixed(0).padStart(8)} ${String(st.median).padStart(8)} ${String(st.p95).padStart(8)} ${String(st.max).padStart(8)}`);
    }
  }
  return L.join('\n') + '\n';
}

