// One table per config: each key's type, default and help in one place. CLI flags, --help text, YAML recipes
// and validation are all derived from it. Not an argument parser for anything else (no subcommands here).

import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RadpoError, showValue } from './errors.js';

export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'string[]' | 'number[]' | 'json';

export interface OptionSpec {
  type: OptionType;
  help: string;
  default?: unknown;
  choices?: readonly string[];
  min?: number;
  max?: number;
  required?: boolean;
  alias?: string;      // one-letter short flag, e.g. 'o' for --output
  group?: string;      // heading in --help
}

export type OptionTable = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> =
  S['type'] extends 'string' ? (S['choices'] extends readonly (infer C)[] ? C : string)
  : S['type'] extends 'number' | 'int' ? number
  : S['type'] extends 'boolean' ? boolean
  : S['type'] extends 'string[]' ? string[]
  : S['type'] extends 'number[]' ? number[]
  : unknown;

/** The typed object a table resolves to. Keys with no default and not required may be undefined. */
export type Resolved<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends { default: unknown } ? ValueOf<T[K]>
    : T[K] extends { required: true } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

export interface ParsedArgs {
  flags: Record<string, unknown>;  // raw values keyed by canonical (snake_case) name
  positionals: string[];
  help: boolean;
}

/** Canonical key for a flag: `--skip-invalid` and `--skip_invalid` both mean `skip_invalid`. */
export function canonicalKey(flag: string): string {
  return flag.replace(/^-+/, '').replace(/-/g, '_');
}

/**
 * Splits argv into flags (validated against `table`) and positionals. Boolean flags take no value unless given as
 * `--flag=false` / `--flag false`; `--no-flag` sets false. `--help`/`-h` sets help. `--` ends flag parsing.
 */
export function parseArgv(table: OptionTable, argv: string[], extraFlags: OptionTable = {}): ParsedArgs {
  const all: OptionTable = { ...table, ...extraFlags };
  const aliases = new Map<string, string>();
  for (const [k, s] of Object.entries(all)) if (s.alias) aliases.set(s.alias, k);
  const flags: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (arg === '--help' || arg === '-h') { help = true; continue; }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) { positionals.push(arg); continue; }
    let name: string;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0) { name = arg.slice(0, eq); inline = arg.slice(eq + 1); } else name = arg;
    let key = name.startsWith('--') ? canonicalKey(name) : aliases.get(name.slice(1)) ?? canonicalKey(name);
    let negated = false;
    if (!(key in all) && key.startsWith('no_') && all[key.slice(3)]?.type === 'boolean') { key = key.slice(3); negated = true; }
    const spec = all[key];
    if (!spec) {
      throw new RadpoError('usage', `unknown option ${name}${suggest(key, Object.keys(all))}`);
    }
    let raw: string | boolean;
    if (spec.type === 'boolean') {
      if (negated) raw = false;
      else if (inline !== undefined) raw = inline;
      else if (argv[i + 1] === 'true' || argv[i + 1] === 'false') raw = argv[++i] as string;
      else raw = true;
    } else if (inline !== undefined) raw = inline;
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new RadpoError('usage', `option ${name} needs a value`);
      raw = next; i++;
    }
    flags[key] = coerce(key, spec, raw, 'command line');
  }
  return { flags, positionals, help };
}

/** Reads a YAML (or JSON) recipe file into a plain object, checking keys and types against `table`. */
export function readRecipe(table: OptionTable, file: string): Record<string, unknown> {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new RadpoError('io', `cannot read config: ${(e as Error).message}`, { file });
  }
  let doc: unknown;
  try { doc = parseYaml(text); } catch (e) {
    throw new RadpoError('config', `not valid YAML: ${(e as Error).message}`, { file });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new RadpoError('config', 'a recipe must be a mapping of keys to values', { file });
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const spec = table[k];
    if (!spec) throw new RadpoError('config', `unknown key${suggest(k, Object.keys(table))}`, { file, field: k, value: v });
    out[k] = coerce(k, spec, v, file);
  }
  return out;
}

/**
 * Resolves the final config: defaults < recipe < flags. Required keys must be present after merging; every value
 * is validated (type, choices, range).
 */
export function resolveOptions<T extends OptionTable>(table: T, ...layers: Record<string, unknown>[]): Resolved<T> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(table)) if (s.default !== undefined) out[k] = clone(s.default);
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const spec = table[k];
      if (!spec) throw new RadpoError('config', `unknown key${suggest(k, Object.keys(table))}`, { field: k, value: v });
      if (v !== undefined) out[k] = coerce(k, spec, v, 'config');
    }
  }
  for (const [k, s] of Object.entries(table)) {
    if (s.required && out[k] === undefined) throw new RadpoError('config', `missing required key --${k}: ${s.help}`, { field: k });
  }
  return out as Resolved<T>;
}

function coerce(key: string, spec: OptionSpec, raw: unknown, source: string): unknown {
  const bad = (expected: string): never => {
    throw new RadpoError('config', `expected ${expected} (from ${source})`, { field: key, value: raw });
  };
  let v: unknown = raw;
  switch (spec.type) {
    case 'string':
      if (typeof raw === 'number') v = String(raw);
      else if (typeof raw !== 'string') bad('a string');
      if (spec.choices && !spec.choices.includes(v as string)) bad(`one of ${spec.choices.join(', ')}`);
      break;
    case 'number':
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) bad(spec.type === 'int' ? 'an integer' : 'a finite number');
      if (spec.type === 'int' && !Number.isInteger(n)) bad('an integer');
      if (spec.min !== undefined && n < spec.min) bad(`a value >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) bad(`a value <= ${spec.max}`);
      v = n;
      break;
    }
    case 'boolean':
      if (raw === 'true' || raw === true) v = true;
      else if (raw === 'false' || raw === false) v = false;
      else bad('true or false');
      break;
    case 'string[]':
      if (typeof raw === 'string') v = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      else if (Array.isArray(raw) && raw.every((x) => typeof x === 'string' || typeof x === 'number')) v = raw.map(String);
      else bad('a list of strings (comma-separated on the command line)');
      if (spec.choices) for (const x of v as string[]) if (!spec.choices.includes(x)) bad(`each one of ${spec.choices.join(', ')}`);
      break;
    case 'number[]': {
      const parts = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s) : Array.isArray(raw) ? raw : bad('a list of numbers');
      const nums = (parts as unknown[]).map((x) => (typeof x === 'number' ? x : Number(x)));
      if (nums.some((x) => !Number.isFinite(x))) bad('a list of finite numbers');
      v = nums;
      break;
    }
    case 'json':
      if (typeof raw === 'string') {
        try { v = JSON.parse(raw); } catch { bad('JSON'); }
      }
      break;
  }
  return v;
}

/** --help text generated from the table. */
export function formatHelp(usage: string, description: string, table: OptionTable): string {
  const lines = [`Usage: ${usage}`, '', description, ''];
  const groups = new Map<string, [string, OptionSpec][]>();
  for (const entry of Object.entries(table)) {
    const g = entry[1].group ?? 'Options';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(entry);
  }
  for (const [g, entries] of groups) {
    lines.push(`${g}:`);
    for (const [k, s] of entries) {
      const flag = `${s.alias ? `-${s.alias}, ` : ''}--${k}${s.type === 'boolean' ? '' : ` <${s.choices ? s.choices.join('|') : s.type}>`}`;
      const def = s.default !== undefined ? ` (default: ${showValue(s.default, 40)})` : s.required ? ' (required)' : '';
      lines.push(`  ${flag.padEnd(34)} ${s.help}${def}`);
    }
    lines.push('');
  }
  lines.push('  -h, --help                         show this help');
  return lines.join('\n');
}

function clone(v: unknown): unknown { return Array.isArray(v) ? [...v] : v; }

function suggest(key: string, keys: string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const k of keys) {
    const d = editDistance(key, k);
    if (d < bestD) { bestD = d; best = k; }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 4)) ? ` (did you mean --${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}
